import { Aws, Duration } from 'aws-cdk-lib';
import {
  Dashboard,
  GraphWidget,
  MathExpression,
  Metric,
  TextWidget,
  type IMetric,
  type IWidget,
} from 'aws-cdk-lib/aws-cloudwatch';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';

import { METRICS, METRICS_NAMESPACE, SERVICE_NAME, type MetricDefinition } from '../lambdas/runtime/metrics/catalogue';

/** Name of the dimension that Powertools Metrics adds to every metric, with the service name as value. */
const SERVICE_DIMENSION = 'service';

/** Properties of {@link AcceleratorDashboard}. */
export interface AcceleratorDashboardProps {
  /** The streaming query function. */
  readonly streamFunction: IFunction;

  /** The REST API's query function. */
  readonly apiFunction: IFunction;

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
 * The CloudWatch dashboard of the accelerator: cache hit rate, cache, query, request and
 * upstream latency, upstream errors and timeouts, time to first byte, and Lambda health. Every
 * graph is built from the metric catalogue that the runtime emits from, so names cannot drift.
 */
export class AcceleratorDashboard extends Construct {
  /** The dashboard. */
  readonly dashboard: Dashboard;

  /** Console URL of the dashboard, in the stack's region. */
  readonly dashboardUrl: string;

  private readonly period: Duration;

  constructor(scope: Construct, id: string, props: AcceleratorDashboardProps) {
    super(scope, id);

    this.period = props.period ?? Duration.minutes(5);
    const periodSeconds = this.period.toSeconds();
    if (periodSeconds < 60 || periodSeconds % 60 !== 0) {
      throw new Error(
        `period must be a whole number of minutes, got ${periodSeconds} seconds; EMF metrics have one-minute resolution.`,
      );
    }

    this.dashboard = new Dashboard(this, 'Dashboard', {
      dashboardName: props.dashboardName,
      defaultInterval: Duration.hours(3),
    });
    this.dashboard.addWidgets(...this.cacheWidgets());
    this.dashboard.addWidgets(...this.latencyWidgets());
    this.dashboard.addWidgets(...this.upstreamWidgets());
    this.dashboard.addWidgets(...this.lambdaWidgets(props.streamFunction, props.apiFunction));
    // TODO: add alarms on hit rate, p99 latency, upstream errors and L2 fallback.

    // NOTE: the URL assumes the commercial partition's console host.
    this.dashboardUrl =
      `https://${Aws.REGION}.console.aws.amazon.com/cloudwatch/home?region=${Aws.REGION}` +
      `#dashboards/dashboard/${this.dashboard.dashboardName}`;
  }

  private cacheWidgets(): IWidget[] {
    const hits = this.searchSum(METRICS.cacheHit, 'hits');
    const misses = this.serviceMetric(METRICS.cacheMiss, 'Sum');
    // FILL keeps the rate defined in periods where only hits or only misses were recorded.
    const hitRate = new MathExpression({
      expression: '100 * FILL(hits, 0) / (FILL(hits, 0) + FILL(misses, 0))',
      usingMetrics: { hits, misses },
      label: 'Hit rate (%)',
      period: this.period,
    });

    return [
      new TextWidget({
        markdown: `# mcp-accelerator\nMetrics in namespace \`${METRICS_NAMESPACE}\`, service \`${SERVICE_NAME}\`.`,
        width: 24,
        height: 2,
      }),
      new GraphWidget({
        title: 'Cache hit rate (L1 and L2)',
        left: [hitRate],
        leftYAxis: { min: 0, max: 100, label: '%', showUnits: false },
        width: 8,
      }),
      new GraphWidget({
        title: 'Cache hits by tier, and misses',
        left: [this.search(METRICS.cacheHit, 'Sum', 'Hits'), misses.with({ label: 'Misses' })],
        width: 8,
      }),
      new GraphWidget({
        title: 'Cache lookup latency by tier (ms)',
        left: [this.search(METRICS.cacheLatency, 'p50', 'p50'), this.search(METRICS.cacheLatency, 'p99', 'p99')],
        width: 8,
      }),
    ];
  }

  private latencyWidgets(): IWidget[] {
    return [
      new GraphWidget({
        title: 'Query and request latency (ms)',
        left: this.percentiles(METRICS.queryLatency).concat(this.percentiles(METRICS.requestLatency)),
        width: 8,
      }),
      new GraphWidget({
        title: 'Time to first byte of a stream (ms)',
        left: this.percentiles(METRICS.timeToFirstByte),
        width: 8,
      }),
      new GraphWidget({
        title: 'Parallel speedup, and cold starts',
        left: [this.serviceMetric(METRICS.parallelSpeedup, 'Average')],
        right: [this.serviceMetric(METRICS.coldStart, 'Sum')],
        width: 8,
      }),
    ];
  }

  private upstreamWidgets(): IWidget[] {
    return [
      new GraphWidget({
        title: 'Upstream latency by server (ms)',
        left: [this.search(METRICS.upstreamLatency, 'p50', 'p50'), this.search(METRICS.upstreamLatency, 'p99', 'p99')],
        width: 12,
      }),
      new GraphWidget({
        title: 'Upstream errors and timeouts by server',
        left: [this.search(METRICS.upstreamError, 'Sum', 'Errors'), this.search(METRICS.upstreamTimeout, 'Sum', 'Timeouts')],
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
        left: functions.flatMap(({ name, fn }) => [
          fn.metricDuration({ period: this.period, statistic: 'p50', label: `${name} p50` }),
          fn.metricDuration({ period: this.period, statistic: 'p99', label: `${name} p99` }),
        ]),
        width: 12,
      }),
    ];
  }

  /** Returns a catalogue metric that has no dimension beside `service`. */
  private serviceMetric(definition: MetricDefinition, statistic: string): Metric {
    if (definition.dimensions.length > 0) {
      throw new Error(`metric ${definition.name} has dimensions ${definition.dimensions.join(', ')}; plot it with search().`);
    }
    return new Metric({
      namespace: METRICS_NAMESPACE,
      metricName: definition.name,
      dimensionsMap: { [SERVICE_DIMENSION]: SERVICE_NAME },
      statistic,
      period: this.period,
      label: `${definition.name} ${statistic}`,
    });
  }

  private percentiles(definition: MetricDefinition): IMetric[] {
    return ['p50', 'p99'].map((statistic) => this.serviceMetric(definition, statistic));
  }

  /**
   * Returns a SEARCH over every value of the metric's dimensions, one line per tier or server.
   * Searching spares this construct a list of tier and server values that could drift from the
   * runtime's.
   */
  private search(definition: MetricDefinition, statistic: string, label: string): MathExpression {
    // A dynamic label names each line by its tier or server value.
    const dimensionLabels = definition.dimensions.map((dimension) => `\${PROP('Dim.${dimension}')}`);
    return new MathExpression({
      expression: this.searchExpression(definition, statistic),
      usingMetrics: {},
      label: [label, ...dimensionLabels].join(' '),
      period: this.period,
    });
  }

  /** Returns the sum over every dimension value of a SEARCH, as one line. */
  private searchSum(definition: MetricDefinition, label: string): MathExpression {
    return new MathExpression({
      expression: `SUM(${this.searchExpression(definition, 'Sum')})`,
      usingMetrics: {},
      label,
      period: this.period,
    });
  }

  private searchExpression(definition: MetricDefinition, statistic: string): string {
    const schema = [METRICS_NAMESPACE, SERVICE_DIMENSION, ...definition.dimensions].join(',');
    const query = `{${schema}} MetricName="${definition.name}" ${SERVICE_DIMENSION}="${SERVICE_NAME}"`;
    return `SEARCH('${query}', '${statistic}', ${this.period.toSeconds()})`;
  }
}
