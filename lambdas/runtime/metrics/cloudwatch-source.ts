import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { ElastiCacheClient } from '@aws-sdk/client-elasticache';

import { describeCacheCluster } from './cache-cluster-status';
import { readCloudWatchFigures } from './cloudwatch-figures';
import { hitRatePercent, METRICS_WINDOW_SECONDS, type MetricsReport, type MetricsSource } from './metrics-report';

/** Clients created on the first `GET /metrics` and reused by later invocations, in the function's region. */
let clients: { cloudWatch: CloudWatchClient; elastiCache: ElastiCacheClient } | undefined;

/** The `GET /metrics` source in AWS: the last hour from CloudWatch and the cluster from ElastiCache. */
export const cloudWatchSource: MetricsSource = {
  async read(serverNames: readonly string[]): Promise<MetricsReport> {
    clients ??= { cloudWatch: new CloudWatchClient({}), elastiCache: new ElastiCacheClient({}) };
    const end = new Date();
    const start = new Date(end.getTime() - METRICS_WINDOW_SECONDS * 1000);

    const [metrics, cacheCluster] = await Promise.all([
      readCloudWatchFigures(clients.cloudWatch, serverNames, start, end),
      describeCacheCluster(clients, start, end),
    ]);
    return {
      source: 'cloudwatch',
      window: { start: start.toISOString(), end: end.toISOString(), seconds: METRICS_WINDOW_SECONDS },
      hitRatePercent: hitRatePercent(metrics),
      metrics,
      cacheCluster,
    };
  },
};
