import { Metrics } from '@aws-lambda-powertools/metrics';

import { DIMENSION, METRICS, METRICS_NAMESPACE, SERVICE_NAME, type MetricDefinition } from './catalogue';
import type { L2CallReport } from '../cache/l2/l2-guard';
import type { QueryOutcome } from '../query/query-outcome';

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
  } else if (outcome.cache.status === 'miss') {
    add(METRICS.cacheMiss, 1);
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
  if (call.outcome !== 'ok') {
    add(METRICS.l2Fallback, 1);
  } else if (call.operation === 'get') {
    addWithDimension(METRICS.cacheLatency, call.durationMs, DIMENSION.tier, 'l2');
  }
}

function add(definition: MetricDefinition, value: number): void {
  metrics.addMetric(definition.name, definition.unit, value);
}

function addWithDimension(definition: MetricDefinition, value: number, dimension: string, dimensionValue: string): void {
  const groupKey = `${dimension}=${dimensionValue}`;
  let instance = dimensionedMetrics.get(groupKey);
  if (instance === undefined) {
    instance = new Metrics({ namespace, serviceName, defaultDimensions: { [dimension]: dimensionValue } });
    dimensionedMetrics.set(groupKey, instance);
  }
  instance.addMetric(definition.name, definition.unit, value);
}
