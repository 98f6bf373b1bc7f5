import type { APIGatewayProxyEvent } from 'aws-lambda';

import { resolveServer } from '../../../lambdas/runtime/config/server-config';
import { createLocalContext } from '../../../local/lambda-context';
import { postForEvents } from '../../support/ndjson-client';
import { L2Cache } from '../../../lambdas/runtime/cache/l2/l2-cache';
import { L2Guard } from '../../../lambdas/runtime/cache/l2/l2-guard';
import { createRedisClient } from '../../../lambdas/runtime/cache/l2/redis-client';
import { TEST_L2_BUDGET_MS } from '../../support/test-l2';
import { TestMcpServer } from '../../support/test-mcp-server';
import { TestRedisServer } from '../../support/redis-server';
import { EmfCapture, hostStream, type EmfDocument, type StreamHost } from './emf-capture';

// Metrics read these variables when their module loads, so the runtime is required in beforeAll.
process.env.POWERTOOLS_METRICS_DISABLED = 'false';
process.env.POWERTOOLS_METRICS_NAMESPACE = 'McpAcceleratorTest';

type Runtime = typeof import('../../../lambdas/runtime/index');
type RuntimeContext = import('../../../lambdas/runtime/index').RuntimeContext;
type Failure = 'none' | 'after-outcomes' | 'after-l2-lookup';

/** Returns the ids in the `queries` metadata of the documents without a dimension beyond service. */
function metadataIds(documents: readonly EmfDocument[]): string[] {
  return documents
    .filter((document) => typeof document.queries === 'string')
    .flatMap((document) => (JSON.parse(document.queries as string) as { id: string }[]).map((query) => query.id));
}

describe('metric publishing paths', () => {
  const capture = new EmfCapture();
  let runtime: Runtime;
  let redis: TestRedisServer;
  let upstream: TestMcpServer;
  let context: RuntimeContext;
  let chaotic: RuntimeContext;
  let failure: Failure = 'none';
  let streamHost: StreamHost;
  let unconfiguredHost: StreamHost;

  beforeAll(async () => {
    redis = await TestRedisServer.start();
    upstream = await TestMcpServer.start();
    runtime = require('../../../lambdas/runtime/index') as Runtime;
    const server = resolveServer('test', { url: upstream.url, cache: { ttlSeconds: 60, cacheableTools: ['work'] } });
    const { recordL2Call } = require('../../../lambdas/runtime/metrics/request-metrics') as typeof import('../../../lambdas/runtime/metrics/request-metrics');
    // Wired to the metrics as createL2FromEnvironment wires it, with the test budget.
    const client = createRedisClient({ mode: 'standalone', host: '127.0.0.1', port: redis.port, tls: false });
    const l2 = new L2Cache(client, new L2Guard({ budgetMs: TEST_L2_BUDGET_MS, onReport: recordL2Call }));
    context = runtime.createRuntimeContext([server], { l2 });

    // A chaos wrapper: the runner fails as a bug would, after real work whose metrics are recorded.
    chaotic = {
      ...context,
      runner: {
        run: async (...args: Parameters<RuntimeContext['runner']['run']>) => {
          if (failure === 'after-l2-lookup') {
            await context.cache.get('metrics-test:absent');
            throw new Error('injected failure after an L2 lookup');
          }
          const outcomes = await context.runner.run(...args);
          if (failure === 'after-outcomes') {
            throw new Error('injected failure after the outcomes');
          }
          return outcomes;
        },
      },
    } as RuntimeContext;

    streamHost = await hostStream((event, stream, lambdaContext) => runtime.streamQueries(event, stream, lambdaContext, chaotic));
    // No runtime override and no servers in the environment: the context fails to start.
    unconfiguredHost = await hostStream((event, stream, lambdaContext) => runtime.streamQueries(event, stream, lambdaContext));
    capture.start();
  });

  afterAll(async () => {
    jest.restoreAllMocks();
    await streamHost?.close();
    await unconfiguredHost?.close();
    await context?.clients.close();
    await context?.cache.close();
    await upstream?.stop();
    await redis?.stop();
  });

  beforeEach(async () => {
    await streamHost.idle();
    await unconfiguredHost.idle();
    capture.clear();
    failure = 'none';
  });

  const work = (key: string, extra: Record<string, unknown> = {}) => ({ id: key, server: 'test', tool: 'work', arguments: { key, ...extra } });

  it('publishes outcomes recorded before a mid-stream failure', async () => {
    failure = 'after-outcomes';

    const response = await postForEvents(streamHost.url, { queries: [work('mid-stream')] });
    await streamHost.idle();

    expect(response.events.map(({ event }) => event.type)).toEqual(['start', 'result', 'error', 'end']);
    expect(capture.valuesOf('CacheMiss')).toEqual([1]);
    expect(capture.valuesOf('UpstreamLatency', { server: 'test' })).toHaveLength(1);
    expect(capture.valuesOf('QueryLatency')).toHaveLength(1);
    expect(capture.valuesOf('RequestLatency')).toHaveLength(1);
    expect(capture.valuesOf('TimeToFirstByte')).toHaveLength(1);
    expect(metadataIds(capture.documents)).toEqual(['mid-stream']);
  });

  it('publishes L2 calls made before a failure in the REST API', async () => {
    failure = 'after-l2-lookup';
    const event = { httpMethod: 'POST', body: JSON.stringify({ queries: [work('api')] }), isBase64Encoded: false, requestContext: {} } as unknown as APIGatewayProxyEvent;

    const response = await runtime.answerQueries(event, createLocalContext({ functionName: 'api-query', timeoutMs: 30_000 }), chaotic);

    expect(response.statusCode).toBe(500);
    expect(capture.valuesOf('CacheLatency', { tier: 'l2' })).toHaveLength(1);
    expect(capture.valuesOf('RequestLatency')).toHaveLength(1);
  });

  it('publishes once when the runtime fails before the first byte', async () => {
    const response = await postForEvents(unconfiguredHost.url, { queries: [work('x')] });
    await unconfiguredHost.idle();

    expect(response.status).toBe(500);
    expect(capture.valuesOf('RequestLatency')).toHaveLength(1);
    expect(capture.valuesOf('TimeToFirstByte')).toEqual([]);
  });

  it('publishes once when a query runs past its timeout', async () => {
    const response = await postForEvents(streamHost.url, { queries: [{ ...work('slow', { outcome: 'hang' }), timeoutMs: 150 }] });
    await streamHost.idle();

    expect(response.events.at(-1)?.event.type).toBe('end');
    expect(capture.valuesOf('UpstreamTimeout', { server: 'test' })).toEqual([1]);
    expect(capture.valuesOf('UpstreamError')).toEqual([]);
    expect(capture.valuesOf('RequestLatency')).toHaveLength(1);
  });

  it('publishes one document set per invocation', async () => {
    await postForEvents(streamHost.url, { queries: [work('once-a'), work('once-b')] });
    await streamHost.idle();

    const plain = capture.documents.filter((document) => document._aws.CloudWatchMetrics[0].Dimensions[0].length === 1);
    const byServer = capture.documents.filter((document) => document.server === 'test');
    expect(plain).toHaveLength(1);
    expect(byServer).toHaveLength(1);
    expect(capture.valuesOf('QueryLatency')).toHaveLength(2);
  });

  it('publishes only its own metrics on warm invocations', async () => {
    await postForEvents(streamHost.url, { queries: [work('warm-1'), work('warm-2')] });
    await streamHost.idle();
    capture.clear();

    await postForEvents(streamHost.url, { queries: [work('warm-1')] });
    await streamHost.idle();

    expect(capture.valuesOf('RequestLatency')).toHaveLength(1);
    expect(capture.valuesOf('QueryLatency')).toHaveLength(1);
    expect(capture.valuesOf('CacheHit', { tier: 'l1' })).toEqual([1]);
    expect(capture.valuesOf('CacheMiss')).toEqual([]);
    expect(capture.valuesOf('UpstreamLatency')).toEqual([]);
    expect(capture.valuesOf('ColdStart')).toEqual([]);
    // The first invocation's L2 lookups and writes were published with it.
    expect(capture.valuesOf('CacheLatency', { tier: 'l2' })).toEqual([]);
    expect(metadataIds(capture.documents)).toEqual(['warm-1']);
  });
});
