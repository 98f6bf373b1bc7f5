import { Aws, Duration } from 'aws-cdk-lib';
import {
  AlarmStatusWidget,
  Dashboard,
  GraphWidget,
  MathExpression,
  TextWidget,
  type IAlarm,
  type IWidget,
} from 'aws-cdk-lib/aws-cloudwatch';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';

import { METRICS, METRICS_NAMESPACE, SERVICE_NAME } from '../lambdas/runtime/metrics/catalogue';
import { CatalogueMetrics } from './catalogue-metrics';
import type { CacheHealthGraph } from './l2-cache';

/** Latency percentiles on every latency graph. */
export const LATENCY_PERCENTILES = ['p50', 'p90', 'p99'] as const;

/** Properties of {@link AcceleratorDashboard}. */
export interface AcceleratorDashboardProps {
  /** The streaming query function. */
  readonly streamFunction: IFunction;

  /** The REST API's query function. */
  readonly apiFunction: IFunction;

  /**
   * Graphs of the cache cluster's own metrics, which differ between provisioned and serverless.
   * @default - no cache graphs
   */
  readonly cacheHealthGraphs?: (period: Duration) => CacheHealthGraph[];

  /**
   * Alarms whose state the dashboard shows at the top.
   * @default - no alarm widget
   */
  readonly alarms?: readonly IAlarm[];

  /**
   * Period of every graph.
   * @default Duration.minutes(5)
   */
  readonly period?: Duration;

  /**
   * Name of the dashboard.
   * @default - a name that CloudFormation generates
   */
  readonly dashboardName?: string;
}

/**
 * The CloudWatch dashboard of the accelerator: cache hit rate, cache, query, request, upstream
 * and first-byte latency, upstream errors and timeouts, L2 fallback, Lambda health and the cache
 * cluster's own metrics. Every accelerator graph is built from the metric catalogue that the
 * runtime emits from, so names cannot drift.
 */
export class AcceleratorDashboard extends Construct {
  /** The dashboard. */
  readonly dashboard: Dashboard;

  /** Console URL of the dashboard, in the stack's region. */
  readonly dashboardUrl: string;

  private readonly period: Duration;
  private readonly metrics: CatalogueMetrics;

  constructor(scope: Construct, id: string, props: AcceleratorDashboardProps) {
    super(scope, id);

    this.period = props.period ?? Duration.minutes(5);
    const periodSeconds = this.period.toSeconds();
    if (periodSeconds < 60 || periodSeconds % 60 !== 0) {
      throw new Error(
        `period must be a whole number of minutes, got ${periodSeconds} seconds; EMF metrics have one-minute resolution.`,
      );
    }
    this.metrics = new CatalogueMetrics(this.period);

    this.dashboard = new Dashboard(this, 'Dashboard', {
      dashboardName: props.dashboardName,
      defaultInterval: Duration.hours(3),
    });
    this.dashboard.addWidgets(this.header());
    if (props.alarms !== undefined && props.alarms.length > 0) {
      this.dashboard.addWidgets(new AlarmStatusWidget({ title: 'Alarms', alarms: [...props.alarms], width: 24, height: 3 }));
    }
    this.dashboard.addWidgets(...this.cacheWidgets());
    this.dashboard.addWidgets(...this.latencyWidgets());
    this.dashboard.addWidgets(...this.upstreamWidgets());
    this.dashboard.addWidgets(...this.lambdaWidgets(props.streamFunction, props.apiFunction));
    if (props.cacheHealthGraphs !== undefined) {
      this.dashboard.addWidgets(
        ...props.cacheHealthGraphs(this.period).map((graph) => new GraphWidget({ title: graph.title, left: graph.metrics, width: 6 })),
      );
    }

    // NOTE: the URL assumes the commercial partition's console host.
    this.dashboardUrl =
      `https://${Aws.REGION}.console.aws.amazon.com/cloudwatch/home?region=${Aws.REGION}` +
      `#dashboards/dashboard/${this.dashboard.dashboardName}`;
  }

  private header(): IWidget {
    return new TextWidget({
      markdown: `# mcp-accelerator\nMetrics in namespace \`${METRICS_NAMESPACE}\`, service \`${SERVICE_NAME}\`.`,
      width: 24,
      height: 2,
    });
  }

  private cacheWidgets(): IWidget[] {
    const hits = this.metrics.searchSum(METRICS.cacheHit, 'hits');
    const misses = this.metrics.metric(METRICS.cacheMiss, 'Sum');
    // FILL keeps the rate defined in periods where only hits or only misses were recorded.
    const hitRate = new MathExpression({
      expression: '100 * FILL(hits, 0) / (FILL(hits, 0) + FILL(misses, 0))',
      usingMetrics: { hits, misses },
      label: 'Hit rate (%)',
      period: this.period,
    });

    return [
      new GraphWidget({
        title: 'Cache hit rate (L1 and L2)',
        left: [hitRate],
        leftYAxis: { min: 0, max: 100, label: '%', showUnits: false },
        width: 6,
      }),
      new GraphWidget({
        title: 'Cache hits, stale hits by tier, and misses',
        left: [
          this.metrics.search(METRICS.cacheHit, 'Sum', 'Hits'),
          this.metrics.search(METRICS.cacheStaleHit, 'Sum', 'Stale hits'),
          misses.with({ label: 'Misses' }),
        ],
        width: 6,
      }),
      new GraphWidget({
        title: 'Cache lookup latency by tier (ms)',
        left: LATENCY_PERCENTILES.map((statistic) => this.metrics.search(METRICS.cacheLatency, statistic, statistic)),
        width: 6,
      }),
      new GraphWidget({
        title: 'Cache errors by tier, L2 fallback (L1 only) and values too large to store',
        left: [
          this.metrics.metric(METRICS.l2Fallback, 'Sum'),
          this.metrics.search(METRICS.cacheError, 'Sum', 'Errors'),
          this.metrics.metric(METRICS.cacheValueTooLarge, 'Sum'),
        ],
        width: 6,
      }),
    ];
  }

  private latencyWidgets(): IWidget[] {
    return [
      new GraphWidget({
        title: 'Query and request latency (ms)',
        left: this.metrics
          .statistics(METRICS.queryLatency, LATENCY_PERCENTILES)
          .concat(this.metrics.statistics(METRICS.requestLatency, LATENCY_PERCENTILES)),
        width: 8,
      }),
      new GraphWidget({
        title: 'Time to first byte of a stream (ms)',
        left: this.metrics.statistics(METRICS.timeToFirstByte, LATENCY_PERCENTILES),
        width: 8,
      }),
      new GraphWidget({
        title: 'Parallel speedup, and cold starts',
        left: [this.metrics.metric(METRICS.parallelSpeedup, 'Average')],
        right: [this.metrics.metric(METRICS.coldStart, 'Sum')],
        width: 8,
      }),
    ];
  }

  private upstreamWidgets(): IWidget[] {
    return [
      new GraphWidget({
        title: 'Upstream latency by server (ms)',
        left: LATENCY_PERCENTILES.map((statistic) => this.metrics.search(METRICS.upstreamLatency, statistic, statistic)),
        width: 12,
      }),
      new GraphWidget({
        title: 'Upstream errors and timeouts by server',
        left: [
          this.metrics.search(METRICS.upstreamError, 'Sum', 'Errors'),
          this.metrics.search(METRICS.upstreamTimeout, 'Sum', 'Timeouts'),
        ],
        width: 12,
      }),
    ];
  }

  private lambdaWidgets(streamFunction: IFunction, apiFunction: IFunction): IWidget[] {
    const functions = [
      { name: 'stream', fn: streamFunction },
      { name: 'api', fn: apiFunction },
    ];
    return [
      new GraphWidget({
        title: 'Lambda errors and throttles',
        left: functions.flatMap(({ name, fn }) => [
          fn.metricErrors({ period: this.period, label: `${name} errors` }),
          fn.metricThrottles({ period: this.period, label: `${name} throttles` }),
        ]),
        width: 12,
      }),
      new GraphWidget({
        title: 'Lambda duration (ms)',
        left: functions.flatMap(({ name, fn }) =>
          LATENCY_PERCENTILES.map((statistic) => fn.metricDuration({ period: this.period, statistic, label: `${name} ${statistic}` })),
        ),
        width: 12,
      }),
    ];
  }
}
