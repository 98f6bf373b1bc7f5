/**
 * The metric catalogue: every metric the runtime emits, with its unit and dimensions.
 * The runtime emits EMF from these entries and the CDK dashboard plots them, so a metric
 * cannot be renamed in one place and forgotten in the other.
 */

/** CloudWatch metric namespace, unless `POWERTOOLS_METRICS_NAMESPACE` overrides it. */
export const METRICS_NAMESPACE = 'McpAccelerator';

/** Default Powertools service name, which is also the `service` dimension. */
export const SERVICE_NAME = 'mcp-accelerator';

/** Dimension names. Only low-cardinality values go in dimensions: per-tool detail goes in EMF metadata. */
export const DIMENSION = {
  /** The Powertools service name, which every metric carries. */
  service: 'service',
  server: 'server',
  tier: 'tier',
} as const;

/** Values of the `tier` dimension. */
export const CACHE_TIERS = ['l1', 'l2'] as const;

export type CacheTierName = (typeof CACHE_TIERS)[number];

export type MetricUnitName = 'Count' | 'Milliseconds' | 'None';

/** One metric of the catalogue. */
export interface MetricDefinition {
  /** Metric name in CloudWatch. */
  readonly name: string;
  readonly unit: MetricUnitName;
  /** Dimension names beside `service`, which every metric carries. */
  readonly dimensions: readonly (typeof DIMENSION)['server' | 'tier'][];
  readonly description: string;
}

function metric(
  name: string,
  unit: MetricUnitName,
  dimensions: MetricDefinition['dimensions'],
  description: string,
): MetricDefinition {
  return { name, unit, dimensions, description };
}

export const METRICS = {
  cacheHit: metric('CacheHit', 'Count', [DIMENSION.tier], 'Queries answered from a cache tier (l1 or l2).'),
  cacheMiss: metric('CacheMiss', 'Count', [], 'Cacheable queries that no tier could answer.'),
  cacheStaleHit: metric(
    'CacheStaleHit',
    'Count',
    [DIMENSION.tier],
    'Queries answered past their TTL, within the grace period, while one refresh runs; also counted in CacheHit.',
  ),
  cacheError: metric('CacheError', 'Count', [DIMENSION.tier], 'Cache operations on a tier that failed or ran past their budget.'),
  cacheLatency: metric('CacheLatency', 'Milliseconds', [DIMENSION.tier], 'Time of one cache lookup.'),
  upstreamLatency: metric('UpstreamLatency', 'Milliseconds', [DIMENSION.server], 'Time of one MCP call.'),
  upstreamError: metric('UpstreamError', 'Count', [DIMENSION.server], 'MCP calls that failed, timeouts excluded.'),
  upstreamTimeout: metric('UpstreamTimeout', 'Count', [DIMENSION.server], 'MCP calls that timed out.'),
  queryLatency: metric('QueryLatency', 'Milliseconds', [], 'Time of one query, cache lookup included.'),
  requestLatency: metric('RequestLatency', 'Milliseconds', [], 'Time of one request, all queries included.'),
  timeToFirstByte: metric('TimeToFirstByte', 'Milliseconds', [], 'Time from invocation to the first streamed byte.'),
  parallelSpeedup: metric(
    'ParallelSpeedup',
    'None',
    [],
    'Sum of query durations divided by the wall time of the request.',
  ),
  coldStart: metric('ColdStart', 'Count', [], 'Invocations that started a new execution environment.'),
  l2Fallback: metric(
    'L2Fallback',
    'Count',
    [],
    'Cache operations that skipped or failed on L2 and fell back to L1 only, for example while the circuit breaker is open.',
  ),
  cacheValueTooLarge: metric(
    'CacheValueTooLarge',
    'Count',
    [],
    'Results served but not stored because their JSON is over the maximum value size (1 MiB by default).',
  ),
} as const satisfies Record<string, MetricDefinition>;

export type MetricKey = keyof typeof METRICS;
