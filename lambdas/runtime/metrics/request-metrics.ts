import { Metrics } from '@aws-lambda-powertools/metrics';

import { DIMENSION, METRICS, METRICS_NAMESPACE, SERVICE_NAME, type MetricDefinition } from './catalogue';
import type { L2CallReport } from '../cache/l2/l2-guard';
import type { QueryOutcome } from '../query/query-outcome';
import type { Query } from '../request/query-request';

const namespace = process.env.POWERTOOLS_METRICS_NAMESPACE ?? METRICS_NAMESPACE;
const serviceName = process.env.POWERTOOLS_SERVICE_NAME ?? SERVICE_NAME;

/** The Powertools metrics instance for metrics without a dimension beyond `service`. */
export const metrics = new Metrics({ namespace, serviceName });

/**
 * One Powertools instance per dimension value, such as `server=docs`, because one EMF
 * document has one dimension set. Kept across invocations: there are few such values.
 */
const dimensionedMetrics = new Map<string, Metrics>();

let coldStart = true;

/** Dimension values of one added metric value, beside `service`: empty, `{ tier }` or `{ server }`. */
export type MetricDimensions = Readonly<Partial<Record<'server' | 'tier', string>>>;

/** Receives every metric value as it is added, beside EMF: the local host keeps its own figures this way. */
export type MetricObserver = (definition: MetricDefinition, value: number, dimensions: MetricDimensions) => void;

let observer: MetricObserver | undefined;

/** Sets the observer of added metric values, or removes it with undefined. Lambda sets none. */
export function setMetricObserver(next: MetricObserver | undefined): void {
  observer = next;
}

/** L2 calls since the last publish. Lambda runs one invocation at a time per environment, so they are this invocation's. */
const l2Calls: L2CallReport[] = [];

/** Records one guarded L2 call, for the metrics of the current request. */
export function recordL2Call(report: L2CallReport): void {
  l2Calls.push(report);
}

/** Figures of one request, which a handler reports once the request is done. */
export interface RequestReport {
  readonly outcomes: readonly QueryOutcome[];
  /** Wall time of the request, in ms. */
  readonly durationMs: number;
  /** Time from invocation to the first streamed byte, in ms, for streamed responses. */
  readonly timeToFirstByteMs?: number;
  /**
   * The parsed queries, by index, so that the EMF metadata names each query's tool.
   * @default - the metadata names the method only
   */
  readonly queries?: readonly Pick<Query, 'method' | 'params'>[];
}

/** Per-query figures in the EMF metadata of one request: searchable in Logs Insights, never a dimension. */
interface QueryMetadata {
  readonly id: string;
  readonly server: string;
  readonly method: string;
  readonly tool?: string;
  readonly cache: string;
  readonly tier?: string;
  readonly durationMs: number;
  readonly upstreamMs?: number;
  readonly error?: string;
}

/**
 * Turns the outcomes of one request into EMF metrics and publishes them: one EMF document
 * for the metrics without a dimension and one per dimension value. Handlers call it in a
 * `finally`, so metrics are published on every path, errors included.
 */
export function publishRequestMetrics(report: RequestReport): void {
  try {
    if (coldStart) {
      coldStart = false;
      add(METRICS.coldStart, 1);
    }

    for (const outcome of report.outcomes) {
      addQueryOutcome(outcome);
    }
    for (const call of l2Calls.splice(0)) {
      addL2Call(call);
    }
    add(METRICS.requestLatency, report.durationMs);
    if (report.timeToFirstByteMs !== undefined) {
      add(METRICS.timeToFirstByte, report.timeToFirstByteMs);
    }

    const summedMs = report.outcomes.reduce((sum, outcome) => sum + outcome.durationMs, 0);
    if (report.durationMs > 0 && report.outcomes.length > 1) {
      add(METRICS.parallelSpeedup, summedMs / report.durationMs);
    }
    if (report.outcomes.length > 0) {
      // Tool names are unbounded, so they go in metadata: per-tool figures stay queryable without new metrics.
      metrics.addMetadata('queries', JSON.stringify(report.outcomes.map((outcome) => queryMetadata(outcome, report.queries?.[outcome.index]))));
    }
  } finally {
    metrics.publishStoredMetrics();
    for (const instance of dimensionedMetrics.values()) {
      if (instance.hasStoredMetrics()) {
        instance.publishStoredMetrics();
      }
    }
  }
}

function addQueryOutcome(outcome: QueryOutcome): void {
  add(METRICS.queryLatency, outcome.durationMs);

  if (outcome.cache.status === 'hit' || outcome.cache.status === 'stale') {
    addWithDimension(METRICS.cacheHit, 1, DIMENSION.tier, outcome.cache.tier ?? 'l1');
  }
  if (outcome.cache.status === 'stale') {
    addWithDimension(METRICS.cacheStaleHit, 1, DIMENSION.tier, outcome.cache.tier ?? 'l1');
  } else if (outcome.cache.status === 'miss') {
    add(METRICS.cacheMiss, 1);
  }
  if (outcome.cache.reason === 'too_large') {
    add(METRICS.cacheValueTooLarge, 1);
  }
  if (outcome.cache.lookupMs !== undefined && outcome.cache.tier === 'l1') {
    addWithDimension(METRICS.cacheLatency, outcome.cache.lookupMs, DIMENSION.tier, 'l1');
  }

  if (outcome.upstream === undefined || outcome.upstream.shared) {
    return;
  }
  addWithDimension(METRICS.upstreamLatency, outcome.upstream.durationMs, DIMENSION.server, outcome.server);
  if (outcome.error?.code === 'upstream_timeout') {
    addWithDimension(METRICS.upstreamTimeout, 1, DIMENSION.server, outcome.server);
  } else if (outcome.error !== undefined && outcome.error.code !== 'aborted') {
    addWithDimension(METRICS.upstreamError, 1, DIMENSION.server, outcome.server);
  }
}

function addL2Call(call: L2CallReport): void {
  if (call.outcome === 'error' || call.outcome === 'timeout') {
    addWithDimension(METRICS.cacheError, 1, DIMENSION.tier, 'l2');
  }
  if (call.outcome !== 'ok') {
    add(METRICS.l2Fallback, 1);
  } else if (call.operation === 'get') {
    addWithDimension(METRICS.cacheLatency, call.durationMs, DIMENSION.tier, 'l2');
  }
}

function queryMetadata(outcome: QueryOutcome, query: Pick<Query, 'method' | 'params'> | undefined): QueryMetadata {
  const tool = query?.method === 'tools/call' && typeof query.params.name === 'string' ? query.params.name : undefined;
  return {
    id: outcome.id,
    server: outcome.server,
    method: outcome.method,
    tool,
    cache: outcome.cache.status,
    tier: outcome.cache.tier,
    durationMs: roundTenth(outcome.durationMs),
    upstreamMs: outcome.upstream === undefined ? undefined : roundTenth(outcome.upstream.durationMs),
    error: outcome.error?.code,
  };
}

function roundTenth(durationMs: number): number {
  return Math.round(durationMs * 10) / 10;
}

function add(definition: MetricDefinition, value: number): void {
  metrics.addMetric(definition.name, definition.unit, value);
  observer?.(definition, value, {});
}

function addWithDimension(definition: MetricDefinition, value: number, dimension: string, dimensionValue: string): void {
  const groupKey = `${dimension}=${dimensionValue}`;
  let instance = dimensionedMetrics.get(groupKey);
  if (instance === undefined) {
    instance = new Metrics({ namespace, serviceName, defaultDimensions: { [dimension]: dimensionValue } });
    dimensionedMetrics.set(groupKey, instance);
  }
  instance.addMetric(definition.name, definition.unit, value);
  observer?.(definition, value, { [dimension]: dimensionValue });
}
