import { ArnFormat, Fn, Stack, Validations, type Duration } from 'aws-cdk-lib';
import { Metric } from 'aws-cdk-lib/aws-cloudwatch';
import { Port, SecurityGroup, SubnetType, type ISecurityGroup, type IVpc, type SubnetSelection } from 'aws-cdk-lib/aws-ec2';
import { CfnReplicationGroup, CfnSubnetGroup } from 'aws-cdk-lib/aws-elasticache';
import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';

import { CacheUsers, DEFAULT_ACCESS_STRING } from './cache-users';
import type { CacheHealthGraph, L2Cache } from './l2-cache';

/** Largest number of read replicas that ElastiCache allows per primary. */
const MAX_REPLICAS_PER_PRIMARY = 5;

/** Properties of {@link CacheCluster}. */
export interface CacheClusterProps {
  /** VPC of the cache. */
  readonly vpc: IVpc;

  /** Security group of the clients: the only source admitted on the cache port. */
  readonly clientSecurityGroup: ISecurityGroup;

  /**
   * Subnets of the cache nodes, which should span two or more availability zones.
   * @default - the VPC's private subnets with egress
   */
  readonly subnets?: SubnetSelection;

  /**
   * Node type of the primary and of each replica.
   * @default 'cache.t4g.micro'
   */
  readonly cacheNodeType?: string;

  /**
   * Read replicas beside the primary, from 1 to 5. Automatic failover needs at least one.
   * @default 1
   */
  readonly replicasPerPrimary?: number;

  /**
   * Valkey engine version.
   * @default '8.0'
   */
  readonly engineVersion?: string;

  /**
   * TCP port of the cache endpoint.
   * @default 6379
   */
  readonly port?: number;

  /**
   * ACL rules of the functions' RBAC user, in the Valkey ACL syntax that ElastiCache accepts.
   * @default DEFAULT_ACCESS_STRING, which allows all but the `@dangerous` commands
   */
  readonly accessString?: string;
}

/**
 * The L2 cache: an ElastiCache Valkey replication group with cluster mode off, a primary and
 * replicas in different availability zones, automatic failover, TLS in transit and encryption
 * at rest. Clients sign in as an RBAC user whose generated password lives in Secrets Manager.
 */
export class CacheCluster extends Construct implements L2Cache {
  /** Always `provisioned`: the runtime connects without the cluster protocol. */
  readonly mode = 'provisioned' as const;

  /** Host name of the primary endpoint. */
  readonly endpointAddress: string;

  /** TCP port of the endpoint. */
  readonly port: number;

  /** Secret with the RBAC user's credentials as JSON: `{ "username": ..., "password": ... }`. */
  readonly secret: ISecret;

  /** Security group of the cache nodes. */
  readonly securityGroup: SecurityGroup;

  /** The replication group. */
  readonly replicationGroup: CfnReplicationGroup;

  /** Number of nodes: the primary and its replicas. */
  readonly nodeCount: number;

  readonly cacheId: string;

  constructor(scope: Construct, id: string, props: CacheClusterProps) {
    super(scope, id);

    const cacheNodeType = props.cacheNodeType ?? 'cache.t4g.micro';
    const replicasPerPrimary = props.replicasPerPrimary ?? 1;
    const port = props.port ?? 6379;
    validateCacheClusterProps(cacheNodeType, replicasPerPrimary, port);
    this.port = port;

    this.securityGroup = new SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: 'mcp-accelerator cache: admits only the query functions on the cache port',
      // Valkey only accepts connections that clients open, so the nodes need no egress.
      allowAllOutbound: false,
    });
    this.securityGroup.addIngressRule(props.clientSecurityGroup, Port.tcp(port), 'Valkey over TLS from the query functions');

    const subnetGroup = new CfnSubnetGroup(this, 'SubnetGroup', {
      description: 'mcp-accelerator cache subnets',
      subnetIds: props.vpc.selectSubnets(props.subnets ?? { subnetType: SubnetType.PRIVATE_WITH_EGRESS }).subnetIds,
    });

    const users = new CacheUsers(this, 'Users', { accessString: props.accessString ?? DEFAULT_ACCESS_STRING });
    this.secret = users.secret;
    this.nodeCount = 1 + replicasPerPrimary;

    this.replicationGroup = new CfnReplicationGroup(this, 'ReplicationGroup', {
      replicationGroupDescription: 'mcp-accelerator L2 cache',
      engine: 'valkey',
      engineVersion: props.engineVersion ?? '8.0',
      cacheNodeType,
      numCacheClusters: this.nodeCount,
      automaticFailoverEnabled: true,
      multiAzEnabled: true,
      transitEncryptionEnabled: true,
      transitEncryptionMode: 'required',
      atRestEncryptionEnabled: true,
      port,
      cacheSubnetGroupName: subnetGroup.ref,
      securityGroupIds: [this.securityGroup.securityGroupId],
      userGroupIds: [users.userGroup.ref],
      autoMinorVersionUpgrade: true,
    });
    this.endpointAddress = this.replicationGroup.attrPrimaryEndPointAddress;
    // Ref of a replication group is its id.
    this.cacheId = this.replicationGroup.ref;

    Validations.of(this.replicationGroup).acknowledge({
      id: 'AwsSolutions-AEC6',
      reason:
        'Clients authenticate as an RBAC user (UserGroupIds) with a password from Secrets Manager; ' +
        'ElastiCache does not allow an AUTH token on a replication group that uses RBAC.',
    });
  }

  /**
   * Lets `grantee` describe this replication group and its member nodes. ElastiCache names the
   * members of a group without cluster mode `<group id>-001`, `-002` and so on, so each is named
   * here and no wildcard is needed.
   */
  grantDescribe(grantee: IGrantable): void {
    const stack = Stack.of(this);
    const arn = (resource: string, resourceName: string): string =>
      stack.formatArn({ service: 'elasticache', resource, resourceName, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
    const members = Array.from({ length: this.nodeCount }, (_, index) => arn('cluster', `${this.cacheId}-${String(index + 1).padStart(3, '0')}`));
    Grant.addToPrincipal({ grantee, actions: ['elasticache:DescribeReplicationGroups'], resourceArns: [arn('replicationgroup', this.cacheId)] });
    Grant.addToPrincipal({ grantee, actions: ['elasticache:DescribeCacheClusters'], resourceArns: members });
  }

  /**
   * Returns per-node graphs. ElastiCache names the nodes of a replication group with cluster mode
   * off `<group id>-001`, `-002` and so on, and publishes node metrics under `CacheClusterId`.
   */
  healthGraphs(period: Duration): CacheHealthGraph[] {
    const nodeMetric = (metricName: string, statistic: string) =>
      Array.from({ length: this.nodeCount }, (_, index) => {
        const nodeId = Fn.join('-', [this.replicationGroup.ref, String(index + 1).padStart(3, '0')]);
        return new Metric({
          namespace: 'AWS/ElastiCache',
          metricName,
          dimensionsMap: { CacheClusterId: nodeId },
          statistic,
          period,
          label: `${metricName} node ${index + 1}`,
        });
      });

    return [
      // Valkey runs commands on one thread, so the engine's CPU share is the one that saturates first.
      { title: 'Cache engine CPU (%)', metrics: nodeMetric('EngineCPUUtilization', 'Maximum') },
      { title: 'Cache memory used (%)', metrics: nodeMetric('DatabaseMemoryUsagePercentage', 'Maximum') },
      { title: 'Cache evictions', metrics: nodeMetric('Evictions', 'Sum') },
      { title: 'Cache connections', metrics: nodeMetric('CurrConnections', 'Maximum') },
    ];
  }
}

function validateCacheClusterProps(cacheNodeType: string, replicasPerPrimary: number, port: number): void {
  if (!/^cache\.[a-z0-9]+\.[a-z0-9]+$/.test(cacheNodeType)) {
    throw new Error(`cacheNodeType "${cacheNodeType}" is not an ElastiCache node type; use a name such as "cache.t4g.micro".`);
  }
  if (!Number.isInteger(replicasPerPrimary) || replicasPerPrimary < 1 || replicasPerPrimary > MAX_REPLICAS_PER_PRIMARY) {
    throw new Error(
      `replicasPerPrimary must be an integer from 1 to ${MAX_REPLICAS_PER_PRIMARY}, got ${replicasPerPrimary}; ` +
        'automatic failover needs at least one replica.',
    );
  }
  if (!Number.isInteger(port) || port < 1024 || port > 65535) {
    throw new Error(`port must be an integer from 1024 to 65535, got ${port}.`);
  }
}
