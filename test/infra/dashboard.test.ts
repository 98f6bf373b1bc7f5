import { Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Code, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';

import { METRICS, METRICS_NAMESPACE, SERVICE_NAME } from '../../lambdas/runtime/metrics/catalogue';
import { AcceleratorDashboard, type AcceleratorDashboardProps } from '../../lib/dashboard';

/** Builds the dashboard for two inline functions, which need no bundling. */
function buildDashboard(change: Partial<AcceleratorDashboardProps> = {}): Stack {
  const stack = new Stack();
  const inlineFunction = (id: string) =>
    new LambdaFunction(stack, id, {
      runtime: Runtime.NODEJS_24_X,
      handler: 'index.handler',
      code: Code.fromInline('exports.handler = async () => ({});'),
    });
  new AcceleratorDashboard(stack, 'Dashboard', {
    streamFunction: inlineFunction('StreamQuery'),
    apiFunction: inlineFunction('ApiQuery'),
    ...change,
  });
  return stack;
}

/** One entry of a graph's `metrics` array: a metric with its options last, or an expression. */
type GraphMetric = Array<string | Record<string, unknown>>;

/** Returns the metric entries of every graph, with CloudFormation tokens in the body replaced by "TOKEN". */
function graphMetrics(stack: Stack): GraphMetric[] {
  const dashboards = Object.values(Template.fromStack(stack).findResources('AWS::CloudWatch::Dashboard'));
  expect(dashboards.length).toBe(1);

  const parts = dashboards[0].Properties.DashboardBody['Fn::Join'][1] as unknown[];
  const body = JSON.parse(parts.map((part) => (typeof part === 'string' ? part : 'TOKEN')).join('')) as {
    widgets: Array<{ properties: { metrics?: GraphMetric[] } }>;
  };
  return body.widgets.flatMap((widget) => widget.properties.metrics ?? []);
}

function optionsOf(entry: GraphMetric): Record<string, unknown> {
  return entry[entry.length - 1] as Record<string, unknown>;
}

describe('AcceleratorDashboard', () => {
  let metrics: GraphMetric[];
  let expressions: string[];

  beforeAll(() => {
    metrics = graphMetrics(buildDashboard());
    expressions = metrics.map((entry) => optionsOf(entry).expression).filter((expression): expression is string => expression !== undefined);
  });

  it.each(Object.values(METRICS).map((metric) => [metric.name, metric.dimensions.length]))(
    'plots the catalogue metric %s',
    (name, dimensionCount) => {
      const asMetric = metrics.some((entry) => entry[0] === METRICS_NAMESPACE && entry[1] === name);
      const asSearch = expressions.some((expression) => expression.includes(`MetricName="${name}"`));

      // Metrics with a tier or server dimension are searched, so every tier and server gets a line.
      expect({ name, asMetric, asSearch }).toEqual({ name, asMetric: dimensionCount === 0, asSearch: dimensionCount > 0 });
    },
  );

  it('plots no accelerator metric outside the catalogue', () => {
    const catalogueNames = new Set(Object.values(METRICS).map((metric) => metric.name));
    const plotted = [
      ...metrics.filter((entry) => entry[0] === METRICS_NAMESPACE).map((entry) => entry[1] as string),
      ...expressions.flatMap((expression) =>
        expression.includes(METRICS_NAMESPACE) ? [...expression.matchAll(/MetricName="(\w+)"/g)].map((match) => match[1]) : [],
      ),
    ];

    expect(plotted.length).toBeGreaterThan(0);
    expect(plotted.filter((name) => !catalogueNames.has(name))).toEqual([]);
  });

  it('computes the hit rate from hits and misses', () => {
    const hitRate = metrics.find((entry) => optionsOf(entry).label === 'Hit rate (%)');
    const hits = metrics.find((entry) => optionsOf(entry).id === 'hits');
    const misses = metrics.find((entry) => optionsOf(entry).id === 'misses');

    expect(optionsOf(hitRate!).expression).toBe('100 * FILL(hits, 0) / (FILL(hits, 0) + FILL(misses, 0))');
    expect(optionsOf(hits!).expression).toContain(`SUM(SEARCH('{${METRICS_NAMESPACE},service,tier} MetricName="CacheHit"`);
    expect(misses!.slice(0, 4)).toEqual([METRICS_NAMESPACE, 'CacheMiss', 'service', SERVICE_NAME]);
  });

  it.each(['QueryLatency', 'RequestLatency', 'TimeToFirstByte'])('plots p50, p90 and p99 of %s', (name) => {
    const statistics = metrics.filter((entry) => entry[1] === name).map((entry) => optionsOf(entry).stat);

    expect(statistics).toEqual(['p50', 'p90', 'p99']);
  });

  it.each(['CacheLatency', 'UpstreamLatency'])('searches p50, p90 and p99 of %s', (name) => {
    const statistics = expressions
      .filter((expression) => expression.includes(`MetricName="${name}"`))
      .map((expression) => /', '(p\d+)', \d+\)$/.exec(expression)?.[1]);

    expect(statistics).toEqual(['p50', 'p90', 'p99']);
  });

  it.each([
    ['Errors', 2],
    ['Throttles', 2],
    ['Duration', 6],
  ])('plots Lambda %s of both functions', (name, count) => {
    expect(metrics.filter((entry) => entry[0] === 'AWS/Lambda' && entry[1] === name).length).toBe(count);
  });

  it('rejects a period that is not whole minutes', () => {
    expect(() => buildDashboard({ period: Duration.seconds(90) })).toThrow(/period must be a whole number of minutes, got 90 seconds/);
  });
});
