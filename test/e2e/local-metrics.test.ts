import { startLocalStack, type LocalStack } from '../../local/local-stack';
import type { MetricsReport } from '../../lambdas/runtime/metrics/metrics-report';
import { postForEvents } from '../support/ndjson-client';

const echo = (message: string) => ({ queries: [{ id: message, server: 'everything', tool: 'echo', arguments: { message } }] });

/** Waits until the handlers have published, which happens just after a response ends. */
async function readMetricsAfter(url: string, isReady: (report: MetricsReport) => boolean): Promise<MetricsReport> {
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const report = (await (await fetch(url)).json()) as MetricsReport;
    if (isReady(report)) {
      return report;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`metrics at ${url} never reached the expected state`);
}

describe('local metrics', () => {
  let stack: LocalStack;

  beforeAll(async () => {
    stack = await startLocalStack({ configPath: 'mcp-accelerator.config.json' });
    await postForEvents(stack.functionUrl, echo('one'));
    await postForEvents(stack.functionUrl, echo('one'));
    await postForEvents(stack.functionUrl, echo('two'));
  });

  afterAll(async () => {
    await stack?.stop();
  });

  const requestCount = (report: MetricsReport): number => report.metrics.RequestLatency.series[0]?.sampleCount ?? 0;

  it('reports its own figures on GET /metrics', async () => {
    const report = await readMetricsAfter(`${stack.apiUrl}/metrics`, (candidate) => requestCount(candidate) >= 3);

    expect(report.source).toBe('local');
    expect(report.window.seconds).toBe(3_600);
    expect(report.cacheCluster).toEqual({ status: 'local', mode: 'local' });
    // One hit over one hit and two misses.
    expect(report.hitRatePercent).toBeCloseTo(100 / 3, 5);
    expect(report.metrics.CacheHit.series).toEqual([expect.objectContaining({ dimensions: { tier: 'l1' }, sum: 1 })]);
  });

  it('reports latency percentiles in the CloudWatch shape', async () => {
    const report = await readMetricsAfter(`${stack.apiUrl}/metrics`, (candidate) => requestCount(candidate) >= 3);
    const [firstByte] = report.metrics.TimeToFirstByte.series;
    const [upstream] = report.metrics.UpstreamLatency.series;

    expect(firstByte).toMatchObject({ dimensions: {}, sampleCount: 3 });
    expect(firstByte.p50).toBeLessThanOrEqual(firstByte.p99!);
    expect(upstream).toMatchObject({ dimensions: { server: 'everything' }, sampleCount: 2 });
    expect(report.metrics.ColdStart.series).toEqual([expect.objectContaining({ sum: 1 })]);
  });

  it('serves the dashboard page', async () => {
    const response = await fetch(stack.dashboardUrl);

    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/html');
    const html = await response.text();
    expect(html).toContain('Cache hit rate');
    expect(html).toContain("fetch('metrics'");
  });

  it('serves the same figures to the dashboard', async () => {
    const fromApi = await readMetricsAfter(`${stack.apiUrl}/metrics`, (candidate) => requestCount(candidate) >= 3);
    const fromDashboard = (await (await fetch(`${stack.dashboardUrl}metrics`)).json()) as MetricsReport;

    expect(fromDashboard.source).toBe('local');
    expect(fromDashboard.hitRatePercent).toBe(fromApi.hitRatePercent);
    expect(Object.keys(fromDashboard.metrics)).toEqual(Object.keys(fromApi.metrics));
  });
});
