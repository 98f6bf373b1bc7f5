import { CloudWatchClient, GetMetricDataCommand, type MetricDataQuery, type MetricDataResult } from '@aws-sdk/client-cloudwatch';

import { CACHE_TIERS, DIMENSION, METRICS, METRICS_NAMESPACE, SERVICE_NAME, type MetricDefinition } from './catalogue';
import type { MetricFigures, SeriesFigures } from './metrics-report';
import type { MetricDimensions } from './request-metrics';

/** Maximum queries in one GetMetricData call, from the CloudWatch API reference. */
const MAX_QUERIES_PER_CALL = 500;

/** Statistics read for Count metrics. */
const COUNT_STATISTICS = ['Sum', 'SampleCount'] as const;

/** Statistics read for latency and ratio metrics. */
const DISTRIBUTION_STATISTICS = ['Sum', 'SampleCount', 'Average', 'p50', 'p90', 'p99'] as const;

type Statistic = (typeof DISTRIBUTION_STATISTICS)[number];

/** One planned query: the series and statistic that a GetMetricData result id stands for. */
interface PlannedQuery {
  readonly id: string;
  readonly definition: MetricDefinition;
  readonly dimensions: MetricDimensions;
  readonly statistic: Statistic;
}

/** Returns every dimension value set of a catalogue entry: none, each tier or each configured server. */
function dimensionSets(definition: MetricDefinition, serverNames: readonly string[]): MetricDimensions[] {
  if (definition.dimensions.includes(DIMENSION.tier)) {
    return CACHE_TIERS.map((tier) => ({ tier }));
  }
  if (definition.dimensions.includes(DIMENSION.server)) {
    return serverNames.map((server) => ({ server }));
  }
  return [{}];
}

/** Plans one query per catalogue metric, dimension value and statistic. */
export function planQueries(serverNames: readonly string[], namespace = process.env.POWERTOOLS_METRICS_NAMESPACE ?? METRICS_NAMESPACE): { planned: PlannedQuery[]; queries: MetricDataQuery[] } {
  const planned: PlannedQuery[] = [];
  const queries: MetricDataQuery[] = [];
  const serviceName = process.env.POWERTOOLS_SERVICE_NAME ?? SERVICE_NAME;

  for (const definition of Object.values(METRICS)) {
    const statistics = definition.unit === 'Count' ? COUNT_STATISTICS : DISTRIBUTION_STATISTICS;
    for (const dimensions of dimensionSets(definition, serverNames)) {
      for (const statistic of statistics) {
        // GetMetricData ids must start with a lower-case letter and contain only letters, digits and _.
        const id = `m${planned.length}`;
        planned.push({ id, definition, dimensions, statistic });
        queries.push({
          Id: id,
          ReturnData: true,
          MetricStat: {
            Metric: {
              Namespace: namespace,
              MetricName: definition.name,
              Dimensions: [{ Name: DIMENSION.service, Value: serviceName }, ...Object.entries(dimensions).map(([Name, Value]) => ({ Name, Value }))],
            },
            Period: 0,
            Stat: statistic,
          },
        });
      }
    }
  }
  return { planned, queries };
}

/**
 * Reads the figures of every catalogue metric over `[start, end]` with GetMetricData, one
 * period spanning the window. Series without samples are left out.
 */
export async function readCloudWatchFigures(client: CloudWatchClient, serverNames: readonly string[], start: Date, end: Date): Promise<Record<string, MetricFigures>> {
  const periodSeconds = Math.max(60, Math.round((end.getTime() - start.getTime()) / 60_000) * 60);
  const { planned, queries } = planQueries(serverNames);
  for (const query of queries) {
    query.MetricStat!.Period = periodSeconds;
  }

  const values = new Map<string, number>();
  for (let offset = 0; offset < queries.length; offset += MAX_QUERIES_PER_CALL) {
    const batch = queries.slice(offset, offset + MAX_QUERIES_PER_CALL);
    let nextToken: string | undefined;
    do {
      const response = await client.send(new GetMetricDataCommand({ StartTime: start, EndTime: end, MetricDataQueries: batch, NextToken: nextToken, ScanBy: 'TimestampDescending' }));
      for (const result of response.MetricDataResults ?? []) {
        addResult(values, result, planned);
      }
      nextToken = response.NextToken;
    } while (nextToken !== undefined);
  }

  return assembleFigures(planned, values);
}

/**
 * Stores one result's value. Sums and sample counts add up over the returned periods.
 * NOTE: when the window straddles two periods, the mean and percentiles are the latest period's.
 */
function addResult(values: Map<string, number>, result: MetricDataResult, planned: readonly PlannedQuery[]): void {
  const points = result.Values ?? [];
  if (result.Id === undefined || points.length === 0) {
    return;
  }
  const statistic = planned.find((query) => query.id === result.Id)?.statistic;
  const additive = statistic === 'Sum' || statistic === 'SampleCount';
  values.set(result.Id, additive ? points.reduce((sum, value) => sum + value, values.get(result.Id) ?? 0) : points[0]);
}

function assembleFigures(planned: readonly PlannedQuery[], values: ReadonlyMap<string, number>): Record<string, MetricFigures> {
  const figures: Record<string, MetricFigures> = {};
  const bySeries = new Map<string, { definition: MetricDefinition; dimensions: MetricDimensions; stats: Partial<Record<Statistic, number>> }>();
  for (const query of planned) {
    const key = `${query.definition.name} ${JSON.stringify(query.dimensions)}`;
    const series = bySeries.get(key) ?? { definition: query.definition, dimensions: query.dimensions, stats: {} };
    bySeries.set(key, series);
    const value = values.get(query.id);
    if (value !== undefined) {
      series.stats[query.statistic] = value;
    }
  }

  for (const definition of Object.values(METRICS)) {
    figures[definition.name] = { unit: definition.unit, description: definition.description, series: [] };
  }
  for (const { definition, dimensions, stats } of bySeries.values()) {
    if ((stats.SampleCount ?? 0) === 0) {
      continue;
    }
    const series: SeriesFigures = {
      dimensions,
      sampleCount: stats.SampleCount!,
      sum: stats.Sum ?? 0,
      average: stats.Average,
      p50: stats.p50,
      p90: stats.p90,
      p99: stats.p99,
    };
    (figures[definition.name].series as SeriesFigures[]).push(series);
  }
  return figures;
}
