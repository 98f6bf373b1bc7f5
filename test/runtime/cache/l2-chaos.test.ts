import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

import type { Redis } from 'ioredis';

import { CircuitBreaker } from '../../../lambdas/runtime/cache/circuit-breaker';
import { HybridCache } from '../../../lambdas/runtime/cache/hybrid-cache';
import { L2Cache } from '../../../lambdas/runtime/cache/l2/l2-cache';
import { L2Guard, type L2CallReport } from '../../../lambdas/runtime/cache/l2/l2-guard';
import { createRedisClient } from '../../../lambdas/runtime/cache/l2/redis-client';
import { MemoryCache } from '../../../lambdas/runtime/cache/memory-cache';
import { resolveServer } from '../../../lambdas/runtime/config/server-config';
import { parseQueryRequest } from '../../../lambdas/runtime/request/query-request';
import { createRuntimeContext, type RuntimeContext } from '../../../lambdas/runtime/runtime-context';
import { TestRedisServer } from '../../support/redis-server';
import { TestMcpServer } from '../../support/test-mcp-server';

/** Budget of every L2 call in these tests, in ms. */
const BUDGET_MS = 50;

/** Scheduling slack allowed on top of the budget, in ms: the machines that run CI are small and busy. */
const SLACK_MS = 40;

const writeOptions = { ttlMs: 60_000, graceMs: 0 };

function guardedL2(port: number, reports: L2CallReport[] = [], breaker = new CircuitBreaker({ openDurationMs: 200 })): L2Cache {
  const client = createRedisClient({ mode: 'standalone', host: '127.0.0.1', port, tls: false });
  return new L2Cache(client, new L2Guard({ budgetMs: BUDGET_MS, breaker, onReport: (report) => reports.push(report) }));
}

/** Returns the ioredis client inside an L2Cache, to read its queue of commands awaiting replies. */
function clientOf(l2: L2Cache): Redis {
  return (l2 as unknown as { client: Redis }).client;
}

async function timed<T>(operation: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const startedAt = performance.now();
  const value = await operation();
  return { value, ms: performance.now() - startedAt };
}

describe('L2 with Redis killed and restarted', () => {
  let redis: TestRedisServer;
  let upstream: TestMcpServer;
  let context: RuntimeContext;
  let breaker: CircuitBreaker;

  beforeAll(async () => {
    redis = await TestRedisServer.start();
    upstream = await TestMcpServer.start();
    breaker = new CircuitBreaker({ failureThreshold: 2, openDurationMs: 300 });
    const server = resolveServer('test', { url: upstream.url, cache: { cacheableTools: ['lookup'], jitterRatio: 0 } });
    context = createRuntimeContext([server], { l2: guardedL2(redis.port, [], breaker) });
  });

  afterAll(async () => {
    await context?.cache.close();
    await context?.clients.close();
    await upstream?.stop();
    await redis?.stop();
  });

  async function runLookup(key: string): Promise<{ cache: string; tier?: string; error?: string }> {
    const request = parseQueryRequest(JSON.stringify({ queries: [{ server: 'test', tool: 'lookup', arguments: { key } }] }), ['test']);
    const [outcome] = await context.runner.run(request, { onOutcome: () => undefined });
    await context.cache.settle();
    return { cache: outcome.cache.status, tier: outcome.cache.tier, error: outcome.error?.code };
  }

  it('keeps answering while Redis is down and fills L2 again after', async () => {
    expect(await runLookup('before')).toEqual({ cache: 'miss', tier: undefined, error: undefined });

    await redis.kill();
    const whileDown = [];
    for (let index = 0; index < 10; index += 1) {
      whileDown.push(await runLookup(`down-${index % 3}`));
    }
    expect(whileDown.every((outcome) => outcome.error === undefined)).toBe(true);
    expect(breaker.state).toBe('open');
    // Repeated keys come from L1 while L2 is gone.
    expect(whileDown.filter((outcome) => outcome.cache === 'hit' && outcome.tier === 'l1')).toHaveLength(7);
    expect(await runLookup('before')).toMatchObject({ cache: 'hit', tier: 'l1' });

    await redis.restart();
    await new Promise((resolve) => setTimeout(resolve, 600));
    await runLookup('after-restart-probe');
    expect(await runLookup('after-restart')).toMatchObject({ cache: 'miss' });
    expect(breaker.state).toBe('closed');

    const other = new HybridCache({ l1: new MemoryCache(), l2: guardedL2(redis.port) });
    try {
      const request = parseQueryRequest(JSON.stringify({ queries: [{ server: 'test', tool: 'lookup', arguments: { key: 'after-restart' } }] }), ['test']);
      const [outcome] = await createRuntimeContext([...context.servers.values()], { l2: other.l2 }).runner.run(request, { onOutcome: () => undefined });
      expect(outcome.cache).toMatchObject({ status: 'hit', tier: 'l2' });
    } finally {
      await other.close();
    }
  });
});

describe('L2 on a listener that never answers', () => {
  let blackHole: Server;
  const sockets = new Set<Socket>();
  let l2: L2Cache;
  const reports: L2CallReport[] = [];

  beforeAll(async () => {
    // Accepts connections and never writes a byte, as a hung cache node would.
    blackHole = createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => blackHole.listen(0, '127.0.0.1', resolve));
    l2 = guardedL2((blackHole.address() as AddressInfo).port, reports);
  });

  afterAll(async () => {
    await l2?.close();
    for (const socket of sockets) {
      socket.destroy();
    }
    await new Promise((resolve) => blackHole?.close(resolve));
  });

  it.each<{ operation: string; call: () => Promise<unknown>; fallback: unknown }>([
    { operation: 'get', call: () => l2.get('k'), fallback: undefined },
    { operation: 'set', call: () => l2.set('k', Buffer.from('v'), 1000), fallback: false },
    { operation: 'lock', call: () => l2.acquireLock('k:lock', 1000), fallback: { status: 'unavailable' } },
    { operation: 'generation', call: () => l2.readCounters(['a', 'b']), fallback: undefined },
    { operation: 'invalidate', call: () => l2.increment('a'), fallback: undefined },
  ])('settles $operation within its budget as a fallback', async ({ call, fallback }) => {
    const { value, ms } = await timed(call);

    expect(value).toEqual(fallback);
    expect(ms).toBeLessThan(BUDGET_MS + SLACK_MS);
  });

  it('does not grow the pending command queue', async () => {
    for (let index = 0; index < 200; index += 1) {
      await l2.get(`k${index}`);
    }

    expect(clientOf(l2).commandQueue.length).toBeLessThanOrEqual(5);
    expect(reports.filter((report) => report.outcome === 'skipped').length).toBeGreaterThan(150);
  });

  it('answers hybrid lookups within the budget once the breaker is open', async () => {
    const cache = new HybridCache({ l2 });
    await cache.get('warm-up');

    const { value, ms } = await timed(() => cache.get('cold-key'));

    expect(value).toBeUndefined();
    // Far below the budget: an open breaker skips L2 instead of waiting for it.
    expect(ms).toBeLessThan(BUDGET_MS / 5);
  });
});

describe('L2 with Redis down', () => {
  it('settles 10 000 writes within budget and bounded memory', async () => {
    const redis = await TestRedisServer.start();
    const reports: L2CallReport[] = [];
    const l2 = guardedL2(redis.port, reports);
    const l1 = new MemoryCache({ maxSizeBytes: 1024 * 1024 });
    const cache = new HybridCache({ l1, l2 });
    await redis.stop();

    try {
      const heapBefore = process.memoryUsage().heapUsed;
      let slowest = 0;
      for (let index = 0; index < 10_000; index += 1) {
        const { ms } = await timed(() => cache.set(`key-${index}`, { content: [{ type: 'text', text: 'x'.repeat(512) }] }, writeOptions));
        slowest = Math.max(slowest, ms);
      }
      await cache.settle();
      global.gc?.();
      const heapGrowthBytes = process.memoryUsage().heapUsed - heapBefore;

      expect(slowest).toBeLessThan(BUDGET_MS + SLACK_MS);
      expect(l1.sizeBytes).toBeLessThanOrEqual(1024 * 1024);
      expect(cache.pendingCount).toBe(0);
      expect(clientOf(l2).commandQueue.length).toBe(0);
      // 10 000 values of about 550 bytes would take 5.5 MB; the L1 bound keeps 1 MB of them.
      expect(heapGrowthBytes).toBeLessThan(20 * 1024 * 1024);
      expect(reports.every((report) => report.outcome !== 'ok')).toBe(true);
    } finally {
      await l2.close();
    }
  });
});
