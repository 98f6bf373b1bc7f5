import { ArnFormat, Names, Stack, type Duration } from 'aws-cdk-lib';
import { MathExpression } from 'aws-cdk-lib/aws-cloudwatch';
import { Port, SecurityGroup, SubnetType, type ISecurityGroup, type IVpc, type SubnetSelection } from 'aws-cdk-lib/aws-ec2';
import { CfnServerlessCache } from 'aws-cdk-lib/aws-elasticache';
import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';

import { CacheUsers, DEFAULT_ACCESS_STRING } from './cache-users';
import type { CacheHealthGraph, L2Cache } from './l2-cache';

/**
 * Port of a serverless cache's endpoint, which ElastiCache fixes. The reader endpoint on 6380
 * stays closed, because the runtime reads and writes through the primary endpoint.
 */
export const SERVERLESS_CACHE_PORT = 6379;

/** Limits of a serverless cache's usage limits, from the CreateServerlessCache API reference. */
const DATA_STORAGE_GB_RANGE = [1, 5000] as const;
const ECPU_PER_SECOND_RANGE = [1000, 15_000_000] as const;

/** Properties of {@link ServerlessCache}. */
export interface ServerlessCacheProps {
  /** VPC of the cache. */
  readonly vpc: IVpc;

  /** Security group of the clients: the only source admitted on the cache port. */
  readonly clientSecurityGroup: ISecurityGroup;

  /**
   * Subnets of the cache endpoint, in two or three availability zones.
   * @default - the VPC's private subnets with egress
   */
  readonly subnets?: SubnetSelection;

  /**
   * Maximum data the cache may store, in GB. ElastiCache evicts keys at the limit, which bounds
   * the storage part of the bill.
   * @default 5
   */
  readonly maxDataStorageGb?: number;

  /**
   * Maximum ElastiCache Processing Units per second. ElastiCache throttles commands above it,
   * which bounds the compute part of the bill.
   * @default 5000
   */
  readonly maxEcpuPerSecond?: number;

  /**
   * Valkey major version.
   * @default '8'
   */
  readonly majorEngineVersion?: string;

  /**
   * ACL rules of the functions' RBAC user, in the Valkey ACL syntax that ElastiCache accepts.
   * @default DEFAULT_ACCESS_STRING, which allows all but the `@dangerous` commands
   */
  readonly accessString?: string;
}

/**
 * The L2 cache as an ElastiCache Serverless Valkey cache. ElastiCache always encrypts it in
 * transit and at rest, spreads it over the given zones and scales it within the usage limits.
 * Clients sign in as the same kind of RBAC user as on a replication group, and must speak the
 * cluster protocol.
 */
export class ServerlessCache extends Construct implements L2Cache {
  /** Always `serverless`: the runtime connects with the cluster protocol. */
  readonly mode = 'serverless' as const;

  /** Host name of the endpoint. */
  readonly endpointAddress: string;

  /** TCP port of the endpoint. */
  readonly port = SERVERLESS_CACHE_PORT;

  /** Secret with the RBAC user's credentials. */
  readonly secret: ISecret;

  readonly cacheId: string;

  /** Security group of the cache endpoint. */
  readonly securityGroup: SecurityGroup;

  /** The serverless cache. */
  readonly serverlessCache: CfnServerlessCache;

  constructor(scope: Construct, id: string, props: ServerlessCacheProps) {
    super(scope, id);

    const maxDataStorageGb = props.maxDataStorageGb ?? 5;
    const maxEcpuPerSecond = props.maxEcpuPerSecond ?? 5000;
    validateRange('maxDataStorageGb', maxDataStorageGb, DATA_STORAGE_GB_RANGE);
    validateRange('maxEcpuPerSecond', maxEcpuPerSecond, ECPU_PER_SECOND_RANGE);

    this.securityGroup = new SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: 'mcp-accelerator serverless cache: admits only the query functions on the cache port',
      // Valkey only accepts connections that clients open, so the endpoint needs no egress.
      allowAllOutbound: false,
    });
    this.securityGroup.addIngressRule(
      props.clientSecurityGroup,
      Port.tcp(SERVERLESS_CACHE_PORT),
      'Valkey over TLS from the query functions',
    );

    const users = new CacheUsers(this, 'Users', { accessString: props.accessString ?? DEFAULT_ACCESS_STRING });
    this.secret = users.secret;

    this.serverlessCache = new CfnServerlessCache(this, 'ServerlessCache', {
      // The name must be unique in the account and region, and ElastiCache allows 40 characters.
      serverlessCacheName: Names.uniqueResourceName(this, { maxLength: 40 }).toLowerCase(),
      description: 'mcp-accelerator L2 cache',
      engine: 'valkey',
      majorEngineVersion: props.majorEngineVersion ?? '8',
      subnetIds: props.vpc.selectSubnets(props.subnets ?? { subnetType: SubnetType.PRIVATE_WITH_EGRESS }).subnetIds,
      securityGroupIds: [this.securityGroup.securityGroupId],
      userGroupId: users.userGroup.ref,
      cacheUsageLimits: {
        dataStorage: { maximum: maxDataStorageGb, unit: 'GB' },
        ecpuPerSecond: { maximum: maxEcpuPerSecond },
      },
    });
    this.endpointAddress = this.serverlessCache.attrEndpointAddress;
    // Ref of a serverless cache is its name.
    this.cacheId = this.serverlessCache.ref;
  }

  /** Lets `grantee` describe this serverless cache. */
  grantDescribe(grantee: IGrantable): void {
    const arn = Stack.of(this).formatArn({ service: 'elasticache', resource: 'serverlesscache', resourceName: this.cacheId, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
    Grant.addToPrincipal({ grantee, actions: ['elasticache:DescribeServerlessCaches'], resourceArns: [arn] });
  }

  /**
   * Returns graphs of the serverless metrics, which differ from a node's: ECPUs in place of CPU
   * and bytes stored in place of a memory percentage.
   */
  healthGraphs(period: Duration): CacheHealthGraph[] {
    return [
      { title: 'Cache ECPUs consumed', metrics: [this.search('ElastiCacheProcessingUnits', 'Sum', period)] },
      { title: 'Cache data stored (bytes)', metrics: [this.search('BytesUsedForCache', 'Maximum', period)] },
      {
        title: 'Cache evictions and throttled commands',
        metrics: [this.search('Evictions', 'Sum', period), this.search('ThrottledCmds', 'Sum', period)],
      },
      { title: 'Cache connections', metrics: [this.search('CurrConnections', 'Maximum', period)] },
    ];
  }

  /**
   * Returns a SEARCH for one metric of this cache by its name as a free-text term.
   * NOTE: published examples disagree on the dimension that carries a serverless cache's name
   * (clusterId, CacheClusterId or ServerlessCacheName), so the search matches the name in any
   * dimension instead of naming one. Alarms cannot use SEARCH, so the cache has no alarm of its own.
   */
  private search(metricName: string, statistic: string, period: Duration): MathExpression {
    const query = `Namespace="AWS/ElastiCache" MetricName="${metricName}" "${this.serverlessCache.serverlessCacheName}"`;
    return new MathExpression({
      expression: `SEARCH('${query}', '${statistic}', ${period.toSeconds()})`,
      usingMetrics: {},
      label: metricName,
      period,
    });
  }
}

function validateRange(name: string, value: number, [min, max]: readonly [number, number]): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${name} must be an integer from ${min} to ${max}, got ${value}; adjust the usage limit.`);
  }
}
