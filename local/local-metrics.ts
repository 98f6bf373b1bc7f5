import type { MetricDefinition } from '../lambdas/runtime/metrics/catalogue';
import { METRICS } from '../lambdas/runtime/metrics/catalogue';
import { hitRatePercent, METRICS_WINDOW_SECONDS, type MetricFigures, type MetricsReport, type MetricsSource, type SeriesFigures } from '../lambdas/runtime/metrics/metrics-report';
import type { MetricDimensions } from '../lambdas/runtime/metrics/request-metrics';

/** Maximum values kept per series. The oldest go first, which bounds the memory of a long `npm start` under load. */
export const MAX_SAMPLES_PER_SERIES = 20_000;

interface Series {
  readonly definition: MetricDefinition;
  readonly dimensions: MetricDimensions;
  /** Time each value was added, in ms since the epoch, oldest first. */
  readonly times: number[];
  readonly values: number[];
}

/**
 * The local host's own figures: every metric value that the runtime adds, kept for the last
 * hour, served by `GET /metrics` in the shape that CloudWatch figures have in AWS.
 */
export class LocalMetricsStore implements MetricsSource {
  private readonly series = new Map<string, Series>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Adds one value; the runtime calls it through its metric observer. */
  record(definition: MetricDefinition, value: number, dimensions: MetricDimensions): void {
    const key = `${definition.name} ${JSON.stringify(dimensions)}`;
    let series = this.series.get(key);
    if (series === undefined) {
      series = { definition, dimensions, times: [], values: [] };
      this.series.set(key, series);
    }
    series.times.push(this.now());
    series.values.push(value);
    if (series.values.length > MAX_SAMPLES_PER_SERIES) {
      series.times.shift();
      series.values.shift();
    }
  }

  async read(): Promise<MetricsReport> {
    const end = this.now();
    const start = end - METRICS_WINDOW_SECONDS * 1000;
    const metrics: Record<string, MetricFigures> = {};
    for (const definition of Object.values(METRICS)) {
      metrics[definition.name] = { unit: definition.unit, description: definition.description, series: [] };
    }

    for (const series of this.series.values()) {
      this.dropBefore(series, start);
      if (series.values.length === 0) {
        continue;
      }
      (metrics[series.definition.name].series as SeriesFigures[]).push(figuresOf(series));
    }

    return {
      source: 'local',
      window: { start: new Date(start).toISOString(), end: new Date(end).toISOString(), seconds: METRICS_WINDOW_SECONDS },
      hitRatePercent: hitRatePercent(metrics),
      metrics,
      cacheCluster: { status: 'local', mode: 'local' },
    };
  }

  private dropBefore(series: Series, start: number): void {
    let expired = 0;
    while (expired < series.times.length && series.times[expired] < start) {
      expired += 1;
    }
    series.times.splice(0, expired);
    series.values.splice(0, expired);
  }
}

function figuresOf(series: Series): SeriesFigures {
  const sum = series.values.reduce((total, value) => total + value, 0);
  const base = { dimensions: series.dimensions, sampleCount: series.values.length, sum };
  if (series.definition.unit === 'Count') {
    return base;
  }
  const sorted = [...series.values].sort((a, b) => a - b);
  return { ...base, average: sum / sorted.length, p50: percentile(sorted, 0.5), p90: percentile(sorted, 0.9), p99: percentile(sorted, 0.99) };
}

/** Returns the nearest-rank percentile of sorted values. */
function percentile(sorted: readonly number[], q: number): number {
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank];
}
