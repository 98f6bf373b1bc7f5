import { GENERATION_CACHE_TTL_MS, GenerationCounters, type InvalidationScope } from '../../../lambdas/runtime/cache/generation-counters';
import { HybridCache } from '../../../lambdas/runtime/cache/hybrid-cache';
import type { L2Cache } from '../../../lambdas/runtime/cache/l2/l2-cache';
import { resolveServer } from '../../../lambdas/runtime/config/server-config';
import { McpClientPool } from '../../../lambdas/runtime/mcp/client-pool';
import { ToolAnnotationsIndex } from '../../../lambdas/runtime/mcp/tool-annotations';
import { QueryPlanner } from '../../../lambdas/runtime/query/query-planner';
import { parseQueryRequest, type Query } from '../../../lambdas/runtime/request/query-request';
import { TestRedisServer } from '../../support/redis-server';
import { createInspector, createTestL2 } from '../../support/test-l2';

const writeOptions = { ttlMs: 60_000, graceMs: 0 };

// Nothing is sent to these URLs, because the tests only plan keys and read and write the cache.
const servers = [
  resolveServer('docs', { url: 'http://127.0.0.1:9/mcp', cache: { cacheableTools: ['search', 'fetch'] } }),
  resolveServer('pricing', { url: 'http://127.0.0.1:9/mcp', cache: { cacheableTools: ['quote'] } }),
];
const serverNames = servers.map((server) => server.name);

/** Parses one query as a request body would give it. */
function queryOf(body: Record<string, unknown>): Query {
  return parseQueryRequest(JSON.stringify({ queries: [body] }), serverNames).queries[0];
}

const docsSearch = queryOf({ server: 'docs', tool: 'search', arguments: { q: 'lambda' } });
const docsFetch = queryOf({ server: 'docs', tool: 'fetch', arguments: { url: 'https://example.com/a' } });
const docsToolList = queryOf({ server: 'docs', method: 'tools/list' });
const pricingQuote = queryOf({ server: 'pricing', tool: 'quote', arguments: { sku: 'a1' } });

/** One execution environment: its hybrid cache and the planner that derives keys from its generations. */
interface Instance {
  readonly cache: HybridCache;
  readonly planner: QueryPlanner;
}

function createInstance(l2: L2Cache | undefined, now?: () => number): Instance {
  const cache = new HybridCache({ l2, now });
  // No server here trusts readOnlyHint, so the planner never reads a tool list.
  const toolAnnotations = new ToolAnnotationsIndex(new McpClientPool(servers));
  const planner = new QueryPlanner({ servers: new Map(servers.map((server) => [server.name, server])), cache, toolAnnotations });
  return { cache, planner };
}

/** Plans a query and returns its shared key, which carries the current generation. */
async function keyOf(instance: Instance, query: Query): Promise<string> {
  const { sharedKey } = await instance.planner.plan(query);
  if (sharedKey === undefined) {
    throw new Error(`The test query to server "${query.server}" is not cacheable. List its tool in cacheableTools.`);
  }
  return sharedKey;
}

/** Stores a value under the query's current key. */
async function store(instance: Instance, query: Query, value: unknown): Promise<void> {
  await instance.cache.set(await keyOf(instance, query), value, writeOptions);
}

/** Looks the query up under its current key and returns the value found, or undefined. */
async function lookUp(instance: Instance, query: Query): Promise<unknown> {
  return (await instance.cache.get(await keyOf(instance, query)))?.value;
}

describe('generation counters', () => {
  let redis: TestRedisServer;
  const opened: L2Cache[] = [];

  function connectL2(): L2Cache {
    const l2 = createTestL2(redis.port);
    opened.push(l2);
    return l2;
  }

  beforeAll(async () => {
    redis = await TestRedisServer.start();
  });

  beforeEach(async () => {
    const inspector = createInspector(redis.port);
    await inspector.flushall();
    inspector.disconnect();
  });

  afterEach(async () => {
    for (const l2 of opened.splice(0)) {
      await l2.close();
    }
  });

  afterAll(async () => {
    await redis?.stop();
  });

  describe('with L2', () => {
    let instance: Instance;

    beforeEach(async () => {
      instance = createInstance(connectL2());
      await store(instance, docsSearch, 'search result');
      await store(instance, docsFetch, 'fetch result');
      await store(instance, docsToolList, 'tool list');
      await store(instance, pricingQuote, 'quote');
    });

    it('serves stored values before a bump', async () => {
      expect(await lookUp(instance, docsSearch)).toBe('search result');
      expect(await lookUp(instance, docsFetch)).toBe('fetch result');
      expect(await lookUp(instance, docsToolList)).toBe('tool list');
      expect(await lookUp(instance, pricingQuote)).toBe('quote');
    });

    it('propagates a bump through L2', async () => {
      expect(await instance.cache.generations.bump({ server: 'docs', tool: 'search' })).toEqual({ propagated: true });
    });

    it('misses a bumped tool', async () => {
      await instance.cache.generations.bump({ server: 'docs', tool: 'search' });

      expect(await lookUp(instance, docsSearch)).toBeUndefined();
    });

    it('keeps other tools on a tool bump', async () => {
      await instance.cache.generations.bump({ server: 'docs', tool: 'search' });

      expect(await lookUp(instance, docsFetch)).toBe('fetch result');
      expect(await lookUp(instance, docsToolList)).toBe('tool list');
    });

    it('misses a bumped method', async () => {
      await instance.cache.generations.bump({ server: 'docs', method: 'tools/list' });

      expect(await lookUp(instance, docsToolList)).toBeUndefined();
      expect(await lookUp(instance, docsSearch)).toBe('search result');
    });

    it.each([
      ['a tool call', docsSearch],
      ['another tool call', docsFetch],
      ['a list method', docsToolList],
    ])('misses %s on a server bump', async (_label, query) => {
      await instance.cache.generations.bump({ server: 'docs' });

      expect(await lookUp(instance, query)).toBeUndefined();
    });

    it('keeps other servers on a server bump', async () => {
      await instance.cache.generations.bump({ server: 'docs' });

      expect(await lookUp(instance, pricingQuote)).toBe('quote');
    });

    it('stores again after a bump', async () => {
      await instance.cache.generations.bump({ server: 'docs', tool: 'search' });
      await store(instance, docsSearch, 'new search result');

      expect(await lookUp(instance, docsSearch)).toBe('new search result');
    });
  });

  describe('across instances', () => {
    it('serves one instance the value of another', async () => {
      const writer = createInstance(connectL2());
      const reader = createInstance(connectL2());
      await store(writer, docsSearch, 'search result');

      expect(await lookUp(reader, docsSearch)).toBe('search result');
    });

    it('trusts a read generation for its TTL', async () => {
      const writer = createInstance(connectL2());
      let readerNowMs = Date.now();
      const reader = createInstance(connectL2(), () => readerNowMs);
      await store(writer, docsSearch, 'search result');
      await lookUp(reader, docsSearch);

      await writer.cache.generations.bump({ server: 'docs', tool: 'search' });
      readerNowMs += GENERATION_CACHE_TTL_MS - 1;

      expect(await lookUp(reader, docsSearch)).toBe('search result');
    });

    it('sees a bump once its TTL passed', async () => {
      const writer = createInstance(connectL2());
      let readerNowMs = Date.now();
      const reader = createInstance(connectL2(), () => readerNowMs);
      await store(writer, docsSearch, 'search result');
      await lookUp(reader, docsSearch);

      await writer.cache.generations.bump({ server: 'docs', tool: 'search' });
      readerNowMs += GENERATION_CACHE_TTL_MS;

      expect(await lookUp(reader, docsSearch)).toBeUndefined();
    });

    it.each<[string, InvalidationScope, string]>([
      ['a server bump', { server: 'docs' }, '1.0.0'],
      ['a method bump', { server: 'docs', method: 'tools/call' }, '0.1.0'],
      ['a tool bump', { server: 'docs', tool: 'search' }, '0.0.1'],
    ])('reads %s at cacheTtlMs 0', async (_label, scope, expected) => {
      const writer = new GenerationCounters({ l2: connectL2() });
      const reader = new GenerationCounters({ l2: connectL2(), cacheTtlMs: 0 });
      expect(await reader.current('docs', 'tools/call', 'search')).toBe('0.0.0');

      await writer.bump(scope);

      expect(await reader.current('docs', 'tools/call', 'search')).toBe(expected);
    });

    it('reads a bump after cacheTtlMs 50', async () => {
      const writer = new GenerationCounters({ l2: connectL2() });
      const reader = new GenerationCounters({ l2: connectL2(), cacheTtlMs: 50 });
      await reader.current('docs', 'tools/call', 'search');

      await writer.bump({ server: 'docs', tool: 'search' });
      await new Promise((resolve) => setTimeout(resolve, 60));

      expect(await reader.current('docs', 'tools/call', 'search')).toBe('0.0.1');
    });

    it('leaves other tools at cacheTtlMs 0', async () => {
      const writer = new GenerationCounters({ l2: connectL2() });
      const reader = new GenerationCounters({ l2: connectL2(), cacheTtlMs: 0 });

      await writer.bump({ server: 'docs', tool: 'search' });

      expect(await reader.current('docs', 'tools/call', 'fetch')).toBe('0.0.0');
      expect(await reader.current('pricing', 'tools/call', 'search')).toBe('0.0.0');
    });
  });
});

describe('generation counters without L2', () => {
  it('resolves a bump as not propagated', async () => {
    const instance = createInstance(undefined);

    expect(await instance.cache.generations.bump({ server: 'docs', tool: 'search' })).toEqual({ propagated: false });
  });

  it('misses a locally bumped tool', async () => {
    const instance = createInstance(undefined);
    await store(instance, docsSearch, 'search result');

    await instance.cache.generations.bump({ server: 'docs', tool: 'search' });

    expect(await lookUp(instance, docsSearch)).toBeUndefined();
  });

  it('keeps other tools on a local bump', async () => {
    const instance = createInstance(undefined);
    await store(instance, docsFetch, 'fetch result');

    await instance.cache.generations.bump({ server: 'docs', tool: 'search' });

    expect(await lookUp(instance, docsFetch)).toBe('fetch result');
  });
});

describe('generation counters with L2 down', () => {
  let redis: TestRedisServer;
  let l2: L2Cache;
  let instance: Instance;

  beforeEach(async () => {
    redis = await TestRedisServer.start();
    l2 = createTestL2(redis.port);
    instance = createInstance(l2);
  });

  afterEach(async () => {
    await l2.close();
    await redis.stop();
  });

  it('resolves a bump as not propagated', async () => {
    await store(instance, docsSearch, 'search result');
    await redis.kill();

    expect(await instance.cache.generations.bump({ server: 'docs', tool: 'search' })).toEqual({ propagated: false });
  });

  it('invalidates in this process', async () => {
    await store(instance, docsSearch, 'search result');
    await redis.kill();

    await instance.cache.generations.bump({ server: 'docs', tool: 'search' });

    expect(await lookUp(instance, docsSearch)).toBeUndefined();
  });

  it('keeps other tools in this process', async () => {
    await store(instance, docsFetch, 'fetch result');
    await redis.kill();

    await instance.cache.generations.bump({ server: 'docs', tool: 'search' });

    expect(await lookUp(instance, docsFetch)).toBe('fetch result');
  });

  // Known bug: with L2 failing, GenerationCounters.read falls back to this process's own
  // counters alone, because bump dropped the cached generation. After an earlier bump that
  // L2 took, those give the generation already in force, so the old entry stays reachable.
  it('invalidates after an earlier bump', async () => {
    await instance.cache.generations.bump({ server: 'docs', tool: 'search' });
    await store(instance, docsSearch, 'search result');
    await redis.kill();

    await instance.cache.generations.bump({ server: 'docs', tool: 'search' });

    expect(await lookUp(instance, docsSearch)).toBeUndefined();
  });
});
