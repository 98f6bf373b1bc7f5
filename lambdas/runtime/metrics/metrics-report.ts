import type { MetricUnitName } from './catalogue';
import type { MetricDimensions } from './request-metrics';

/** Length of the window that `GET /metrics` reports on, in seconds: the last hour. */
export const METRICS_WINDOW_SECONDS = 3_600;

/** Figures of one metric series (one dimension value) over the window. */
export interface SeriesFigures {
  /** Dimension values beside `service`: empty, `{ tier }` or `{ server }`. */
  readonly dimensions: MetricDimensions;
  /** Number of values recorded. */
  readonly sampleCount: number;
  /** Sum of the values: the count, for Count metrics. */
  readonly sum: number;
  /** Mean and percentiles, for Milliseconds and None metrics with samples. */
  readonly average?: number;
  readonly p50?: number;
  readonly p90?: number;
  readonly p99?: number;
}

/** Figures of one catalogue metric over the window, with one series per dimension value seen. */
export interface MetricFigures {
  readonly unit: MetricUnitName;
  readonly description: string;
  readonly series: readonly SeriesFigures[];
}

/** Status of the L2 cache cluster, as ElastiCache describes it. */
export interface CacheClusterStatus {
  /** `not_configured` without L2, `unavailable` when the describe call failed, otherwise the cluster's status. */
  readonly status: string;
  readonly mode?: 'provisioned' | 'serverless' | 'local';
  readonly id?: string;
  readonly engine?: string;
  readonly engineVersion?: string;
  /** Node type and nodes, for a provisioned replication group. */
  readonly nodeType?: string;
  readonly nodes?: readonly { readonly id: string; readonly role?: string; readonly availabilityZone?: string; readonly status?: string }[];
  /** Usage limits and the window's usage, for a serverless cache. */
  readonly usage?: {
    readonly maxDataStorageGb?: number;
    readonly maxEcpuPerSecond?: number;
    readonly bytesUsedForCache?: number;
    readonly ecpus?: number;
  };
  readonly error?: string;
}

/** The body of `GET /metrics`, the same in Lambda (from CloudWatch) and in local mode (from the process). */
export interface MetricsReport {
  /** `cloudwatch` in AWS, `local` for the figures of the local host's own process. */
  readonly source: 'cloudwatch' | 'local';
  readonly window: { readonly start: string; readonly end: string; readonly seconds: number };
  /** Hits over hits plus misses, in percent, or null without lookups in the window. */
  readonly hitRatePercent: number | null;
  /** Figures of every catalogue metric, by metric name. */
  readonly metrics: Readonly<Record<string, MetricFigures>>;
  readonly cacheCluster: CacheClusterStatus;
}

/** Computes the hit rate in percent from the CacheHit and CacheMiss figures, or null without lookups. */
export function hitRatePercent(metrics: Readonly<Record<string, MetricFigures>>): number | null {
  const total = (name: string): number => (metrics[name]?.series ?? []).reduce((sum, series) => sum + series.sum, 0);
  const hits = total('CacheHit');
  const lookups = hits + total('CacheMiss');
  return lookups === 0 ? null : (100 * hits) / lookups;
}

/** A producer of the `GET /metrics` body. */
export interface MetricsSource {
  read(serverNames: readonly string[]): Promise<MetricsReport>;
}

let override: MetricsSource | undefined;

/** Replaces the CloudWatch source of `GET /metrics`, as the local host does; undefined restores it. */
export function setMetricsSource(source: MetricsSource | undefined): void {
  override = source;
}

/** Returns the source that replaced CloudWatch, if any. */
export function metricsSourceOverride(): MetricsSource | undefined {
  return override;
}
