import type { Redis } from 'ioredis';

import type { L2Cache } from '../../../lambdas/runtime/cache/l2/l2-cache';
import { resolveServer, type ServerCachePolicy } from '../../../lambdas/runtime/config/server-config';
import type { QueryOutcome } from '../../../lambdas/runtime/query/query-outcome';
import { parseQueryRequest } from '../../../lambdas/runtime/request/query-request';
import { createRuntimeContext, type RuntimeContext } from '../../../lambdas/runtime/runtime-context';
import { TestRedisServer } from '../../support/redis-server';
import { createInspector, createTestL2, listEntryKeys } from '../../support/test-l2';
import { TestMcpServer } from '../../support/test-mcp-server';

const CALLER_A = 'arn:aws:iam::111111111111:user/alice';
const CALLER_B = 'arn:aws:iam::222222222222:user/bob';

type QueryBody = Record<string, unknown>;

const lookupQuery: QueryBody = { server: 'test', tool: 'lookup', arguments: { key: 'k' } };
const counterQuery: QueryBody = { server: 'test', tool: 'counter', arguments: {} };
const failQuery: QueryBody = { server: 'test', tool: 'fail', arguments: { message: 'disk full' } };
const privateQuery: QueryBody = { server: 'test', tool: 'hinted', arguments: { who: 'alice', cacheScope: 'private' } };

/** Text of the first content block of a tool result. */
function textOf(outcome: QueryOutcome): unknown {
  return (outcome.result as { content?: { text?: unknown }[] } | undefined)?.content?.[0]?.text;
}

describe('QueryRunner cache safety', () => {
  let redis: TestRedisServer;
  let upstream: TestMcpServer;
  let inspector: Redis;
  let l2: L2Cache;
  const contexts: RuntimeContext[] = [];

  /** Creates a runtime context, as one Lambda instance, for the server "test" with this cache policy. */
  function createContext(cache: Partial<ServerCachePolicy>): RuntimeContext {
    const server = resolveServer('test', { url: upstream.url, cache: { ttlSeconds: 60, jitterRatio: 0, ...cache } });
    const context = createRuntimeContext([server], { l2 });
    contexts.push(context);
    return context;
  }

  /** Runs one request through the runner and waits for its cache writes. */
  async function run(context: RuntimeContext, queries: QueryBody[], caller?: string): Promise<QueryOutcome[]> {
    const request = parseQueryRequest(JSON.stringify({ queries }), context.serverNames);
    const outcomes = await context.runner.run(request, { onOutcome: () => undefined, caller });
    await context.cache.settle();
    return outcomes;
  }

  /** Runs a request of one query and returns its outcome. */
  async function runOne(context: RuntimeContext, query: QueryBody, caller?: string): Promise<QueryOutcome> {
    const [outcome] = await run(context, [query], caller);
    return outcome;
  }

  beforeAll(async () => {
    redis = await TestRedisServer.start();
    upstream = await TestMcpServer.start();
    inspector = createInspector(redis.port);
    l2 = createTestL2(redis.port);
  });

  beforeEach(async () => {
    await inspector.flushall();
    upstream.resetCounts();
  });

  afterEach(async () => {
    for (const context of contexts.splice(0)) {
      await context.cache.settle();
      await context.clients.close();
    }
  });

  afterAll(async () => {
    await l2?.close();
    inspector?.disconnect();
    await upstream?.stop();
    await redis?.stop();
  });

  describe('error results', () => {
    it('never stores an isError result', async () => {
      const context = createContext({ cacheableTools: ['fail'] });

      const first = await runOne(context, failQuery);
      const second = await runOne(context, failQuery);

      expect(upstream.callsOf('fail')).toBe(2);
      for (const outcome of [first, second]) {
        expect(outcome.cache).toMatchObject({ status: 'bypass', reason: 'error_result' });
        expect(outcome.error?.code).toBe('tool_error');
        expect(outcome.error?.message).toContain('disk full');
      }
      expect(await listEntryKeys(inspector)).toEqual([]);
    });
  });

  describe('tools not allow-listed', () => {
    it('calls an unlisted tool every time', async () => {
      const context = createContext({ cacheableTools: ['lookup'] });

      const outcomes = await run(context, [counterQuery, counterQuery]);

      expect(upstream.callsOf('counter')).toBe(2);
      expect(outcomes.map(textOf).sort()).toEqual(['call 1', 'call 2']);
      for (const outcome of outcomes) {
        expect(outcome.cache).toEqual({ status: 'bypass', reason: 'not_cacheable' });
        expect(outcome.upstream?.shared).toBe(false);
      }
    });

    it('never stores an unlisted tool', async () => {
      const context = createContext({ cacheableTools: ['lookup'] });

      await runOne(context, counterQuery);
      const second = await runOne(context, counterQuery);

      expect(textOf(second)).toBe('call 2');
      expect(await listEntryKeys(inspector)).toEqual([]);
    });
  });

  describe('trusted readOnlyHint', () => {
    it('caches a tool annotated read-only', async () => {
      const context = createContext({ trustReadOnlyHint: true });

      const first = await runOne(context, lookupQuery);
      const second = await runOne(context, lookupQuery);

      expect(first.cache.status).toBe('miss');
      expect(second.cache).toMatchObject({ status: 'hit', tier: 'l1' });
      expect(textOf(second)).toBe('value of k');
      expect(upstream.callsOf('lookup')).toBe(1);
    });

    it('never caches a tool not annotated read-only', async () => {
      const context = createContext({ trustReadOnlyHint: true });

      const first = await runOne(context, counterQuery);
      const second = await runOne(context, counterQuery);

      expect(upstream.callsOf('counter')).toBe(2);
      expect(first.cache).toEqual({ status: 'bypass', reason: 'not_cacheable' });
      expect(second.cache).toEqual({ status: 'bypass', reason: 'not_cacheable' });
      expect(await listEntryKeys(inspector)).toEqual([]);
    });

    it('ignores the hint without trust', async () => {
      const context = createContext({});

      await runOne(context, lookupQuery);
      const second = await runOne(context, lookupQuery);

      expect(second.cache).toEqual({ status: 'bypass', reason: 'not_cacheable' });
      expect(upstream.callsOf('lookup')).toBe(2);
    });
  });

  describe('private results', () => {
    it('serves a private result to its caller', async () => {
      const context = createContext({ cacheableTools: ['hinted'] });

      const first = await runOne(context, privateQuery, CALLER_A);
      const second = await runOne(context, privateQuery, CALLER_A);

      expect(first.cache.status).toBe('miss');
      expect(second.cache).toMatchObject({ status: 'hit', tier: 'l1' });
      expect(upstream.callsOf('hinted')).toBe(1);
    });

    it('keeps a private result from other callers', async () => {
      const context = createContext({ cacheableTools: ['hinted'] });
      await runOne(context, privateQuery, CALLER_A);

      const other = await runOne(context, privateQuery, CALLER_B);

      expect(other.cache.status).toBe('miss');
      expect(other.upstream?.shared).toBe(false);
      expect(upstream.callsOf('hinted')).toBe(2);
    });

    it('keeps a private result from other instances', async () => {
      const first = createContext({ cacheableTools: ['hinted'] });
      const second = createContext({ cacheableTools: ['hinted'] });
      await runOne(first, privateQuery, CALLER_A);

      const other = await runOne(second, privateQuery, CALLER_B);
      const own = await runOne(second, privateQuery, CALLER_A);

      expect(other.cache.status).toBe('miss');
      expect(own.cache).toMatchObject({ status: 'hit', tier: 'l2' });
      expect(upstream.callsOf('hinted')).toBe(2);
    });

    it('stores private results only in partitions', async () => {
      const context = createContext({ cacheableTools: ['hinted'] });
      await runOne(context, privateQuery, CALLER_A);
      await runOne(context, privateQuery, CALLER_B);

      const keys = await listEntryKeys(inspector);

      expect(keys).toHaveLength(2);
      for (const key of keys) {
        expect(key).toMatch(/:p:[0-9a-f]{24}$/);
      }
    });

    // Known bug: QueryRunner.fetch loads under the shared key, and HybridCache.load lets a
    // concurrent caller join that load, so B receives the result marked private for A. The
    // first call's MCP handshake keeps A's load in flight long enough for B to join it.
    it('never shares an in-flight private result', async () => {
      const context = createContext({ cacheableTools: ['hinted'] });

      const [[fromA], [fromB]] = await Promise.all([run(context, [privateQuery], CALLER_A), run(context, [privateQuery], CALLER_B)]);

      expect(fromA.upstream?.shared).toBe(false);
      expect(fromB.upstream?.shared).toBe(false);
      expect(upstream.callsOf('hinted')).toBe(2);
    });

    it('never stores a private result without caller', async () => {
      const context = createContext({ cacheableTools: ['hinted'] });

      const first = await runOne(context, privateQuery);
      const second = await runOne(context, privateQuery);

      expect(first.cache).toMatchObject({ status: 'bypass', reason: 'private_without_caller' });
      expect(second.cache).toMatchObject({ status: 'bypass', reason: 'private_without_caller' });
      expect(upstream.callsOf('hinted')).toBe(2);
      expect(await listEntryKeys(inspector)).toEqual([]);
    });

    it('shares a public result between callers', async () => {
      const context = createContext({ cacheableTools: ['hinted'] });
      const publicQuery = { server: 'test', tool: 'hinted', arguments: { who: 'anyone', cacheScope: 'public' } };
      await runOne(context, publicQuery, CALLER_A);

      const other = await runOne(context, publicQuery, CALLER_B);

      expect(other.cache).toMatchObject({ status: 'hit', tier: 'l1' });
      expect(upstream.callsOf('hinted')).toBe(1);
    });
  });

  describe('partitionByCaller', () => {
    it('serves a caller its own result', async () => {
      const context = createContext({ cacheableTools: ['lookup'], partitionByCaller: true });

      await runOne(context, lookupQuery, CALLER_A);
      const second = await runOne(context, lookupQuery, CALLER_A);

      expect(second.cache).toMatchObject({ status: 'hit', tier: 'l1' });
      expect(upstream.callsOf('lookup')).toBe(1);
    });

    it('keeps public results per caller', async () => {
      const context = createContext({ cacheableTools: ['lookup'], partitionByCaller: true });
      await runOne(context, lookupQuery, CALLER_A);

      const other = await runOne(context, lookupQuery, CALLER_B);

      expect(other.cache.status).toBe('miss');
      expect(other.upstream?.shared).toBe(false);
      expect(upstream.callsOf('lookup')).toBe(2);
    });

    it('stores results only in partitions', async () => {
      const context = createContext({ cacheableTools: ['lookup'], partitionByCaller: true });
      await runOne(context, lookupQuery, CALLER_A);
      await runOne(context, lookupQuery, CALLER_B);

      const keys = await listEntryKeys(inspector);

      expect(keys).toHaveLength(2);
      for (const key of keys) {
        expect(key).toMatch(/:p:[0-9a-f]{24}$/);
      }
    });

    it('shares no in-flight call between callers', async () => {
      const context = createContext({ cacheableTools: ['lookup'], partitionByCaller: true });
      const slowQuery = { ...lookupQuery, arguments: { key: 'k', delayMs: 100 } };

      const [[fromA], [fromB]] = await Promise.all([run(context, [slowQuery], CALLER_A), run(context, [slowQuery], CALLER_B)]);

      expect(fromA.upstream?.shared).toBe(false);
      expect(fromB.upstream?.shared).toBe(false);
      expect(upstream.callsOf('lookup')).toBe(2);
    });

    it('stores nothing without a caller', async () => {
      const context = createContext({ cacheableTools: ['lookup'], partitionByCaller: true });

      const first = await runOne(context, lookupQuery);
      const second = await runOne(context, lookupQuery);

      expect(first.cache.status).toBe('bypass');
      expect(second.cache.status).toBe('bypass');
      expect(upstream.callsOf('lookup')).toBe(2);
      expect(await listEntryKeys(inspector)).toEqual([]);
    });
  });

  describe('server hints', () => {
    it('never stores a ttlMs 0 result', async () => {
      const context = createContext({ cacheableTools: ['hinted'] });
      const query = { server: 'test', tool: 'hinted', arguments: { who: 'anyone', ttlMs: 0 } };

      const first = await runOne(context, query);
      const second = await runOne(context, query);

      expect(first.cache).toMatchObject({ status: 'bypass', reason: 'server_hint' });
      expect(second.cache).toMatchObject({ status: 'bypass', reason: 'server_hint' });
      expect(upstream.callsOf('hinted')).toBe(2);
      expect(await listEntryKeys(inspector)).toEqual([]);
    });

    it('stores a ttlMs hint as the TTL', async () => {
      const context = createContext({ cacheableTools: ['hinted'], graceSeconds: 0 });
      await runOne(context, { server: 'test', tool: 'hinted', arguments: { who: 'anyone', ttlMs: 5_000 } });

      const [key] = await listEntryKeys(inspector);
      const remainingMs = await inspector.pttl(key);

      expect(remainingMs).toBeLessThanOrEqual(5_000);
      expect(remainingMs).toBeGreaterThan(4_000);
    });
  });

  describe('cache modes', () => {
    it('rejects an only-if-cached miss', async () => {
      const context = createContext({ cacheableTools: ['lookup'] });

      const outcome = await runOne(context, { ...lookupQuery, cache: 'only-if-cached' });

      expect(outcome.error?.code).toBe('not_cached');
      expect(outcome.cache.status).toBe('miss');
      expect(upstream.callsOf('lookup')).toBe(0);
    });

    it('serves an only-if-cached hit', async () => {
      const context = createContext({ cacheableTools: ['lookup'] });
      await runOne(context, lookupQuery);

      const outcome = await runOne(context, { ...lookupQuery, cache: 'only-if-cached' });

      expect(outcome.cache.status).toBe('hit');
      expect(textOf(outcome)).toBe('value of k');
      expect(upstream.callsOf('lookup')).toBe(1);
    });

    // Known bug: QueryRunner.lookUp returns a bypass for a tool that is not cacheable before
    // it reads the cache mode, so the tool is called although the query asked for cached results only.
    it('never calls upstream for only-if-cached', async () => {
      const context = createContext({ cacheableTools: ['lookup'] });

      const outcome = await runOne(context, { ...counterQuery, cache: 'only-if-cached' });

      expect(upstream.callsOf('counter')).toBe(0);
      expect(outcome.error?.code).toBe('not_cached');
    });

    it('calls upstream on bypass despite a hit', async () => {
      const context = createContext({ cacheableTools: ['lookup'] });
      await runOne(context, lookupQuery);

      const outcome = await runOne(context, { ...lookupQuery, cache: 'bypass' });

      expect(outcome.cache).toEqual({ status: 'bypass', reason: 'requested' });
      expect(upstream.callsOf('lookup')).toBe(2);
    });

    it('stores nothing on bypass', async () => {
      const context = createContext({ cacheableTools: ['lookup'] });

      await runOne(context, { ...lookupQuery, cache: 'bypass' });
      const next = await runOne(context, lookupQuery);

      expect(next.cache.status).toBe('miss');
      expect(upstream.callsOf('lookup')).toBe(2);
    });

    it('leaves Redis empty on bypass', async () => {
      const context = createContext({ cacheableTools: ['lookup'] });

      await runOne(context, { ...lookupQuery, cache: 'bypass' });

      expect(await inspector.keys('mcpa:*')).toEqual([]);
    });

    it('calls upstream on refresh despite a hit', async () => {
      const context = createContext({ cacheableTools: ['counter'] });
      await runOne(context, counterQuery);

      const refreshed = await runOne(context, { ...counterQuery, cache: 'refresh' });

      expect(upstream.callsOf('counter')).toBe(2);
      expect(refreshed.cache.status).toBe('miss');
      expect(textOf(refreshed)).toBe('call 2');
    });

    it('stores the refreshed result in L1', async () => {
      const context = createContext({ cacheableTools: ['counter'] });
      await runOne(context, counterQuery);
      await runOne(context, { ...counterQuery, cache: 'refresh' });

      const next = await runOne(context, counterQuery);

      expect(next.cache).toMatchObject({ status: 'hit', tier: 'l1' });
      expect(textOf(next)).toBe('call 2');
    });

    it('stores the refreshed result in L2', async () => {
      const writer = createContext({ cacheableTools: ['counter'] });
      await runOne(writer, counterQuery);
      await runOne(writer, { ...counterQuery, cache: 'refresh' });
      const reader = createContext({ cacheableTools: ['counter'] });

      const next = await runOne(reader, counterQuery);

      expect(next.cache).toMatchObject({ status: 'hit', tier: 'l2' });
      expect(textOf(next)).toBe('call 2');
      expect(upstream.callsOf('counter')).toBe(2);
    });
  });
});
