import { resolveServer } from '../../../lambdas/runtime/config/server-config';
import { RUNTIME_ENV } from '../../../lambdas/runtime/config/environment';
import { postForEvents } from '../../support/ndjson-client';
import { TestMcpServer } from '../../support/test-mcp-server';
import { TestRedisServer } from '../../support/redis-server';
import { EmfCapture, hostStream, type StreamHost } from './emf-capture';

// Metrics read these variables when their module loads, so the runtime is required in beforeAll.
process.env.POWERTOOLS_METRICS_DISABLED = 'false';
process.env.POWERTOOLS_METRICS_NAMESPACE = 'McpAcceleratorTest';

type Runtime = typeof import('../../../lambdas/runtime/index');
type RuntimeContextModule = typeof import('../../../lambdas/runtime/runtime-context');

/** Time after which an entry cached with a 50 ms `ttlMs` hint is stale, in ms. */
const STALE_AFTER_MS = 120;

/**
 * Drives the real runtime through every path that emits a metric: misses, L1 and L2 hits, a
 * stale hit, upstream errors and timeouts, a parallel request, a result too large to store, and
 * L2 failing while Redis is down. Then checks that each catalogue entry was emitted with its catalogue dimensions.
 */
describe('metric catalogue coverage', () => {
  const capture = new EmfCapture();
  let catalogue: Runtime['METRICS'];
  let redis: TestRedisServer;
  let upstream: TestMcpServer;
  let host: StreamHost;
  const closers: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    redis = await TestRedisServer.start();
    upstream = await TestMcpServer.start();
    process.env[RUNTIME_ENV.cacheUrl] = redis.url;

    const runtime = require('../../../lambdas/runtime/index') as Runtime;
    const contexts = require('../../../lambdas/runtime/runtime-context') as RuntimeContextModule;
    catalogue = runtime.METRICS;
    const servers = [resolveServer('test', { url: upstream.url, cache: { ttlSeconds: 60, cacheableTools: ['hinted', 'work'] } })];
    // Two instances on one Redis: what one stores, the other finds in L2.
    const first = runtime.createRuntimeContext(servers, { l2: await contexts.createL2FromEnvironment() });
    const second = runtime.createRuntimeContext(servers, { l2: await contexts.createL2FromEnvironment() });
    for (const context of [first, second]) {
      closers.push(() => context.clients.close(), () => context.cache.close());
    }

    let active = first;
    host = await hostStream((event, stream, lambdaContext) => runtime.streamQueries(event, stream, lambdaContext, active));
    capture.start();
    const work = (args: Record<string, unknown>, timeoutMs?: number) => ({ server: 'test', tool: 'work', arguments: args, timeoutMs });
    // Metrics are published after the response ends, so each post waits for the invocation to return.
    const post = async (...queries: unknown[]) => {
      await postForEvents(host.url, { queries });
      await host.idle();
    };

    await post(work({ key: 'a', delayMs: 20 }), work({ key: 'b', delayMs: 20 }));
    await post(work({ key: 'a', delayMs: 20 }));
    active = second;
    await post(work({ key: 'b', delayMs: 20 }));
    active = first;
    await post({ server: 'test', tool: 'hinted', arguments: { who: 'x', ttlMs: 50 } });
    await new Promise((resolve) => setTimeout(resolve, STALE_AFTER_MS));
    await post({ server: 'test', tool: 'hinted', arguments: { who: 'x', ttlMs: 50 } });
    await post(work({ key: 'c', outcome: 'protocol_error' }));
    await post(work({ key: 'd', outcome: 'hang' }, 200));
    // Over the 1 MiB maximum value size: served, not stored, and counted.
    await post(work({ key: 'big', sizeBytes: 1_100_000 }));

    await redis.kill();
    active = second;
    for (const key of ['e', 'f', 'g', 'h', 'i', 'j']) {
      await post(work({ key }));
    }
  });

  afterAll(async () => {
    jest.restoreAllMocks();
    await host?.close();
    for (const close of closers) {
      await close();
    }
    await upstream?.stop();
    await redis?.stop();
  });

  it('emits every catalogue metric from some path', () => {
    const missing = Object.values(catalogue)
      .map((definition) => definition.name)
      .filter((name) => capture.documentsWith(name).length === 0);

    expect(missing).toEqual([]);
  });

  it('emits each metric with its catalogue dimensions and unit', () => {
    for (const definition of Object.values(catalogue)) {
      for (const document of capture.documentsWith(definition.name)) {
        const directive = document._aws.CloudWatchMetrics[0];
        expect({ name: definition.name, dimensions: directive.Dimensions }).toEqual({ name: definition.name, dimensions: [['service', ...definition.dimensions]] });
        expect(directive.Metrics.find((metric) => metric.Name === definition.name)?.Unit).toBe(definition.unit);
      }
    }
  });

  it.each([
    ['CacheHit', { tier: 'l1' }],
    ['CacheHit', { tier: 'l2' }],
    ['CacheStaleHit', { tier: 'l1' }],
    ['CacheLatency', { tier: 'l1' }],
    ['CacheLatency', { tier: 'l2' }],
    ['CacheError', { tier: 'l2' }],
    ['UpstreamLatency', { server: 'test' }],
    ['UpstreamError', { server: 'test' }],
    ['UpstreamTimeout', { server: 'test' }],
  ])('emits %s with %j', (name, dimension) => {
    expect(capture.valuesOf(name, dimension).length).toBeGreaterThan(0);
  });

  it('emits one cold start in total', () => {
    expect(capture.valuesOf('ColdStart')).toEqual([1]);
  });

  it('counts a stale hit as a hit too', () => {
    expect(capture.valuesOf('CacheStaleHit')).toEqual([1]);
    expect(capture.valuesOf('CacheHit').length).toBeGreaterThanOrEqual(3);
  });

  it('reports the speedup of the parallel request', () => {
    const [speedup] = capture.valuesOf('ParallelSpeedup');

    // Two 20 ms calls ran at once, so their summed time exceeds the wall time.
    expect(speedup).toBeGreaterThan(1.2);
  });
});
