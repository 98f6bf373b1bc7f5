import { CloudWatchClient, GetMetricDataCommand, type GetMetricDataCommandInput, type MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import { DescribeCacheClustersCommand, DescribeReplicationGroupsCommand, DescribeServerlessCachesCommand, ElastiCacheClient } from '@aws-sdk/client-elasticache';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';

import { RUNTIME_ENV } from '../../../lambdas/runtime/config/environment';
import { resolveServer } from '../../../lambdas/runtime/config/server-config';
import { handleApiRequest } from '../../../lambdas/runtime/handlers/api-router';
import { METRICS } from '../../../lambdas/runtime/metrics/catalogue';
import type { MetricsReport } from '../../../lambdas/runtime/metrics/metrics-report';
import { createRuntimeContext, type RuntimeContext } from '../../../lambdas/runtime/runtime-context';
import { createLocalContext } from '../../../local/lambda-context';

// Only these two AWS APIs are faked; the router, the runtime context and the figures are real.
const cloudWatch = mockClient(CloudWatchClient);
const elastiCache = mockClient(ElastiCacheClient);

/** Values that the fake CloudWatch returns, by `MetricName tier|server Stat`. */
const STORED_VALUES: Record<string, number[]> = {
  'CacheHit l1 Sum': [30],
  'CacheHit l1 SampleCount': [30],
  'CacheHit l2 Sum': [15],
  'CacheHit l2 SampleCount': [15],
  'CacheMiss - Sum': [10, 5],
  'CacheMiss - SampleCount': [10, 5],
  'UpstreamLatency docs p99': [840],
  'UpstreamLatency docs SampleCount': [15],
  'UpstreamLatency docs Sum': [6000],
  'RequestLatency - p50': [3.5],
  'RequestLatency - SampleCount': [60],
};

function seriesKey(query: MetricDataQuery): string {
  const metric = query.MetricStat!.Metric!;
  const dimension = metric.Dimensions!.find((candidate) => candidate.Name !== 'service')?.Value ?? '-';
  return `${metric.MetricName} ${dimension} ${query.MetricStat!.Stat}`;
}

function fakeGetMetricData(input: GetMetricDataCommandInput) {
  return {
    MetricDataResults: input.MetricDataQueries!.map((query) => ({ Id: query.Id, Values: STORED_VALUES[seriesKey(query)] ?? [] })),
  };
}

function metricsEvent(): APIGatewayProxyEvent {
  return { httpMethod: 'GET', resource: '/metrics', path: '/metrics', body: null, isBase64Encoded: false, headers: {}, queryStringParameters: null } as unknown as APIGatewayProxyEvent;
}

describe('GET /metrics from CloudWatch', () => {
  let runtime: RuntimeContext;
  const context = createLocalContext({ functionName: 'api-query', timeoutMs: 28_000 });

  async function getMetrics(): Promise<{ statusCode: number; body: MetricsReport & { error?: { code: string } } }> {
    const response = await handleApiRequest(metricsEvent(), context, runtime);
    return { statusCode: response.statusCode, body: JSON.parse(response.body) };
  }

  beforeAll(() => {
    process.env.AWS_REGION = 'eu-west-1';
    // Never called: GET /metrics reads only the configured server names.
    runtime = createRuntimeContext([resolveServer('docs', { url: 'http://127.0.0.1:9/mcp' })]);
  });

  afterAll(async () => {
    await runtime.clients.close();
  });

  beforeEach(() => {
    cloudWatch.reset();
    elastiCache.reset();
    cloudWatch.on(GetMetricDataCommand).callsFake(fakeGetMetricData);
    delete process.env[RUNTIME_ENV.cacheId];
    delete process.env[RUNTIME_ENV.cacheMode];
  });

  it('computes the hit rate from hits and misses', async () => {
    const { statusCode, body } = await getMetrics();

    expect(statusCode).toBe(200);
    expect(body.source).toBe('cloudwatch');
    // 45 hits over 45 hits and 15 misses.
    expect(body.hitRatePercent).toBe(75);
  });

  it('queries every catalogue metric', async () => {
    await getMetrics();

    const queries = cloudWatch.commandCalls(GetMetricDataCommand).flatMap((call) => call.args[0].input.MetricDataQueries ?? []);
    const names = new Set(queries.map((query) => query.MetricStat?.Metric?.MetricName));
    expect([...names].sort()).toEqual(Object.values(METRICS).map((metric) => metric.name).sort());
  });

  it('reads the last hour in one period', async () => {
    await getMetrics();

    const input = cloudWatch.commandCalls(GetMetricDataCommand)[0].args[0].input;
    expect(input.EndTime!.getTime() - input.StartTime!.getTime()).toBe(3_600_000);
    expect(input.MetricDataQueries!.every((query) => query.MetricStat?.Period === 3_600)).toBe(true);
  });

  it('reports figures per tier and per server', async () => {
    const { body } = await getMetrics();

    expect(body.metrics.CacheHit.series).toEqual([
      expect.objectContaining({ dimensions: { tier: 'l1' }, sum: 30, sampleCount: 30 }),
      expect.objectContaining({ dimensions: { tier: 'l2' }, sum: 15, sampleCount: 15 }),
    ]);
    expect(body.metrics.UpstreamLatency.series).toEqual([expect.objectContaining({ dimensions: { server: 'docs' }, p99: 840, sampleCount: 15 })]);
    expect(body.metrics.RequestLatency.series[0]).toMatchObject({ dimensions: {}, p50: 3.5 });
    expect(body.metrics.ColdStart).toEqual({ unit: 'Count', description: METRICS.coldStart.description, series: [] });
  });

  it('adds up sums over two periods', async () => {
    const { body } = await getMetrics();

    expect(body.metrics.CacheMiss.series[0]).toMatchObject({ sum: 15, sampleCount: 15 });
  });

  it('reports no cluster without a cache id', async () => {
    const { body } = await getMetrics();

    expect(body.cacheCluster).toEqual({ status: 'not_configured' });
    expect(elastiCache.calls()).toHaveLength(0);
  });

  it('describes a provisioned replication group', async () => {
    process.env[RUNTIME_ENV.cacheId] = 'mcpa-cache';
    process.env[RUNTIME_ENV.cacheMode] = 'provisioned';
    elastiCache.on(DescribeReplicationGroupsCommand, { ReplicationGroupId: 'mcpa-cache' }).resolves({
      ReplicationGroups: [
        {
          ReplicationGroupId: 'mcpa-cache',
          Status: 'available',
          CacheNodeType: 'cache.t4g.small',
          MemberClusters: ['mcpa-cache-001', 'mcpa-cache-002'],
          NodeGroups: [
            {
              NodeGroupMembers: [
                { CacheClusterId: 'mcpa-cache-001', CurrentRole: 'primary', PreferredAvailabilityZone: 'eu-west-1a' },
                { CacheClusterId: 'mcpa-cache-002', CurrentRole: 'replica', PreferredAvailabilityZone: 'eu-west-1b' },
              ],
            },
          ],
        },
      ],
    });
    elastiCache.on(DescribeCacheClustersCommand, { CacheClusterId: 'mcpa-cache-001' }).resolves({ CacheClusters: [{ Engine: 'valkey', EngineVersion: '8.0.1' }] });

    const { body } = await getMetrics();

    expect(body.cacheCluster).toEqual({
      status: 'available',
      mode: 'provisioned',
      id: 'mcpa-cache',
      engine: 'valkey',
      engineVersion: '8.0.1',
      nodeType: 'cache.t4g.small',
      nodes: [
        { id: 'mcpa-cache-001', role: 'primary', availabilityZone: 'eu-west-1a' },
        { id: 'mcpa-cache-002', role: 'replica', availabilityZone: 'eu-west-1b' },
      ],
    });
  });

  it('describes a serverless cache with its usage', async () => {
    process.env[RUNTIME_ENV.cacheId] = 'mcpa-serverless';
    process.env[RUNTIME_ENV.cacheMode] = 'serverless';
    elastiCache.on(DescribeServerlessCachesCommand, { ServerlessCacheName: 'mcpa-serverless' }).resolves({
      ServerlessCaches: [
        {
          Status: 'available',
          Engine: 'valkey',
          FullEngineVersion: '8.0',
          CacheUsageLimits: { DataStorage: { Maximum: 5, Unit: 'GB' }, ECPUPerSecond: { Maximum: 5000 } },
        },
      ],
    });
    cloudWatch.on(GetMetricDataCommand).callsFake((input: GetMetricDataCommandInput) =>
      input.MetricDataQueries!.some((query) => query.MetricStat?.Metric?.Namespace === 'AWS/ElastiCache')
        ? { MetricDataResults: [{ Id: 'bytes', Values: [1_048_576] }, { Id: 'ecpus', Values: [42_000] }] }
        : fakeGetMetricData(input),
    );

    const { body } = await getMetrics();

    expect(body.cacheCluster).toEqual({
      status: 'available',
      mode: 'serverless',
      id: 'mcpa-serverless',
      engine: 'valkey',
      engineVersion: '8.0',
      usage: { maxDataStorageGb: 5, maxEcpuPerSecond: 5000, bytesUsedForCache: 1_048_576, ecpus: 42_000 },
    });
  });

  it('keeps the figures when ElastiCache fails', async () => {
    process.env[RUNTIME_ENV.cacheId] = 'mcpa-cache';
    elastiCache.on(DescribeReplicationGroupsCommand).rejects(new Error('User is not authorized to perform: elasticache:DescribeReplicationGroups'));

    const { statusCode, body } = await getMetrics();

    expect(statusCode).toBe(200);
    expect(body.hitRatePercent).toBe(75);
    expect(body.cacheCluster).toMatchObject({ status: 'unavailable', id: 'mcpa-cache', error: expect.stringContaining('not authorized') });
  });

  it('returns 502 when CloudWatch fails', async () => {
    cloudWatch.on(GetMetricDataCommand).rejects(new Error('Rate exceeded'));

    const { statusCode, body } = await getMetrics();

    expect(statusCode).toBe(502);
    expect(body.error).toMatchObject({ code: 'metrics_unavailable', message: expect.stringContaining('Rate exceeded') });
  });
});
