import type { Duration } from 'aws-cdk-lib';
import type { IMetric } from 'aws-cdk-lib/aws-cloudwatch';
import type { ISecurityGroup } from 'aws-cdk-lib/aws-ec2';
import type { IGrantable } from 'aws-cdk-lib/aws-iam';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { IConstruct } from 'constructs';

import type { CacheMode } from './deployment-options';

/** One graph of the cache's own CloudWatch metrics. */
export interface CacheHealthGraph {
  /** Title of the graph. */
  readonly title: string;
  /** Lines of the graph. */
  readonly metrics: IMetric[];
}

/**
 * The L2 cache as the functions and the dashboard see it. {@link CacheCluster} (provisioned) and
 * {@link ServerlessCache} both have this shape, so the rest of the stack does not depend on the mode.
 */
export interface L2Cache extends IConstruct {
  /** Deployment mode, from which the runtime decides whether to use the cluster protocol. */
  readonly mode: CacheMode;

  /** Host name of the endpoint that the functions connect to. */
  readonly endpointAddress: string;

  /** TCP port of the endpoint. */
  readonly port: number;

  /** Secret with the RBAC user's credentials as JSON: `{ "username": ..., "password": ... }`. */
  readonly secret: ISecret;

  /** Replication group id or serverless cache name, which `GET /metrics` describes. */
  readonly cacheId: string;

  /** Security group of the cache, which admits only the functions on {@link port}. */
  readonly securityGroup: ISecurityGroup;

  /** Lets `grantee` describe this cache (engine, version, nodes, status), and nothing else. */
  grantDescribe(grantee: IGrantable): void;

  /** Returns graphs of CPU or ECPU, memory, evictions and connections, with the given period. */
  healthGraphs(period: Duration): CacheHealthGraph[];
}
