import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import {
  DescribeCacheClustersCommand,
  DescribeReplicationGroupsCommand,
  DescribeServerlessCachesCommand,
  ElastiCacheClient,
} from '@aws-sdk/client-elasticache';

import { RUNTIME_ENV } from '../config/environment';
import type { CacheClusterStatus } from './metrics-report';

/** AWS clients that the cluster description uses. */
export interface ClusterStatusClients {
  readonly elastiCache: ElastiCacheClient;
  readonly cloudWatch: CloudWatchClient;
}

/**
 * Describes the L2 cluster named by `MCP_ACCELERATOR_CACHE_ID`: engine, version and status,
 * with the nodes of a replication group or the usage of a serverless cache over the window.
 * A failed call becomes status `unavailable` with the error message, so `GET /metrics` still
 * returns the metric figures.
 */
export async function describeCacheCluster(clients: ClusterStatusClients, start: Date, end: Date, environment: NodeJS.ProcessEnv = process.env): Promise<CacheClusterStatus> {
  const id = environment[RUNTIME_ENV.cacheId];
  if (id === undefined || id === '') {
    return { status: 'not_configured' };
  }
  const mode = environment[RUNTIME_ENV.cacheMode] === 'serverless' ? 'serverless' : 'provisioned';

  try {
    return mode === 'serverless' ? await describeServerless(clients, id, start, end) : await describeReplicationGroup(clients.elastiCache, id);
  } catch (error) {
    return { status: 'unavailable', mode, id, error: error instanceof Error ? error.message : String(error) };
  }
}

async function describeReplicationGroup(client: ElastiCacheClient, id: string): Promise<CacheClusterStatus> {
  const { ReplicationGroups: groups } = await client.send(new DescribeReplicationGroupsCommand({ ReplicationGroupId: id }));
  const group = groups?.[0];
  if (group === undefined) {
    return { status: 'not_found', mode: 'provisioned', id };
  }

  // The replication group does not carry the engine version; its first member does.
  const firstMember = group.MemberClusters?.[0];
  const member = firstMember === undefined ? undefined : (await client.send(new DescribeCacheClustersCommand({ CacheClusterId: firstMember }))).CacheClusters?.[0];
  const nodes = (group.NodeGroups ?? []).flatMap((nodeGroup) =>
    (nodeGroup.NodeGroupMembers ?? []).map((node) => ({
      id: node.CacheClusterId ?? 'unknown',
      role: node.CurrentRole,
      availabilityZone: node.PreferredAvailabilityZone,
    })),
  );
  return {
    status: group.Status ?? 'unknown',
    mode: 'provisioned',
    id,
    engine: member?.Engine,
    engineVersion: member?.EngineVersion,
    nodeType: group.CacheNodeType,
    nodes,
  };
}

async function describeServerless(clients: ClusterStatusClients, id: string, start: Date, end: Date): Promise<CacheClusterStatus> {
  const { ServerlessCaches: caches } = await clients.elastiCache.send(new DescribeServerlessCachesCommand({ ServerlessCacheName: id }));
  const cache = caches?.[0];
  if (cache === undefined) {
    return { status: 'not_found', mode: 'serverless', id };
  }

  const periodSeconds = Math.max(60, Math.round((end.getTime() - start.getTime()) / 60_000) * 60);
  const usageQuery = (queryId: string, metricName: string, stat: string) => ({
    Id: queryId,
    MetricStat: { Metric: { Namespace: 'AWS/ElastiCache', MetricName: metricName, Dimensions: [{ Name: 'clusterId', Value: id }] }, Period: periodSeconds, Stat: stat },
  });
  const usage = await clients.cloudWatch.send(
    new GetMetricDataCommand({
      StartTime: start,
      EndTime: end,
      MetricDataQueries: [usageQuery('bytes', 'BytesUsedForCache', 'Maximum'), usageQuery('ecpus', 'ElastiCacheProcessingUnits', 'Sum')],
    }),
  );
  const valueOf = (queryId: string): number | undefined => usage.MetricDataResults?.find((result) => result.Id === queryId)?.Values?.[0];

  return {
    status: cache.Status ?? 'unknown',
    mode: 'serverless',
    id,
    engine: cache.Engine,
    engineVersion: cache.FullEngineVersion ?? cache.MajorEngineVersion,
    usage: {
      maxDataStorageGb: cache.CacheUsageLimits?.DataStorage?.Maximum,
      maxEcpuPerSecond: cache.CacheUsageLimits?.ECPUPerSecond?.Maximum,
      bytesUsedForCache: valueOf('bytes'),
      ecpus: valueOf('ecpus'),
    },
  };
}
