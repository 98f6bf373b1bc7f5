import { cached } from '../../../lambdas/runtime/cache/cached';
import { HybridCache } from '../../../lambdas/runtime/cache/hybrid-cache';
import { L2Cache } from '../../../lambdas/runtime/cache/l2/l2-cache';
import { L2Guard } from '../../../lambdas/runtime/cache/l2/l2-guard';
import { createRedisClient } from '../../../lambdas/runtime/cache/l2/redis-client';
import { MemoryCache } from '../../../lambdas/runtime/cache/memory-cache';
import { UnserializableValueError } from '../../../lambdas/runtime/cache/value-codec';
import { TestRedisServer } from '../../support/redis-server';

describe('cached', () => {
  let redis: TestRedisServer;
  let cache: HybridCache;

  beforeAll(async () => {
    redis = await TestRedisServer.start();
    const client = createRedisClient({ mode: 'standalone', host: '127.0.0.1', port: redis.port, tls: false });
    cache = new HybridCache({ l2: new L2Cache(client, new L2Guard({ budgetMs: 500 })) });
  });

  afterAll(async () => {
    await cache?.close();
    await redis?.stop();
  });

  it('calls the function once per arguments', async () => {
    const prices = jest.fn(async (region: string) => ({ region, pricePerGb: 0.125 }));
    const cachedPrices = cached(prices, { cache, namespace: 'test.prices', ttlMs: 60_000 });

    await expect(cachedPrices('eu-west-1')).resolves.toEqual({ region: 'eu-west-1', pricePerGb: 0.125 });
    await expect(cachedPrices('eu-west-1')).resolves.toEqual({ region: 'eu-west-1', pricePerGb: 0.125 });
    await cachedPrices('us-east-1');

    expect(prices).toHaveBeenCalledTimes(2);
  });

  it('shares one call among concurrent callers', async () => {
    const slow = jest.fn(async () => {
      await new Promise((resolve) => setTimeout(resolve, 30));
      return 'done';
    });
    const cachedSlow = cached(slow, { cache, namespace: 'test.slow', ttlMs: 60_000 });

    const results = await Promise.all(Array.from({ length: 20 }, () => cachedSlow()));

    expect(slow).toHaveBeenCalledTimes(1);
    expect(new Set(results)).toEqual(new Set(['done']));
  });

  it('serves another instance from L2', async () => {
    const fetchDocument = jest.fn(async (id: number) => ({ id, body: 'x'.repeat(4096) }));
    const options = { namespace: 'test.documents', ttlMs: 60_000 };
    const firstInstance = cached(fetchDocument, { ...options, cache });
    const secondCache = new HybridCache({ l1: new MemoryCache(), l2: cache.l2 });
    const secondInstance = cached(fetchDocument, { ...options, cache: secondCache });

    const first = await firstInstance(7);
    await cache.settle();
    const second = await secondInstance(7);

    expect(second).toEqual(first);
    expect(fetchDocument).toHaveBeenCalledTimes(1);
  });

  it('uses the key option to identify calls', async () => {
    const search = jest.fn(async (query: { text: string; traceId: string }) => `results for ${query.text}`);
    const cachedSearch = cached(search, { cache, namespace: 'test.search', ttlMs: 60_000, key: (query) => query.text });

    await cachedSearch({ text: 'lambda', traceId: 'a' });
    await cachedSearch({ text: 'lambda', traceId: 'b' });

    expect(search).toHaveBeenCalledTimes(1);
  });

  it.each([
    { name: 'a Date', value: new Date(0) },
    { name: 'a Map', value: new Map([['a', 1]]) },
    { name: 'an undefined property', value: { a: undefined } },
    { name: 'NaN', value: { count: Number.NaN } },
  ])('rejects a result with $name and stores nothing', async ({ value }) => {
    const produce = jest.fn(async () => value);
    const cachedProduce = cached(produce, { cache, namespace: `test.lossy.${Math.random().toString(36).slice(2)}`, ttlMs: 60_000 });

    await expect(cachedProduce()).rejects.toBeInstanceOf(UnserializableValueError);
    await expect(cachedProduce()).rejects.toBeInstanceOf(UnserializableValueError);
    expect(produce).toHaveBeenCalledTimes(2);
  });

  it('returns a stale result within grace and refreshes it', async () => {
    let now = 1_000_000;
    const clockCache = new HybridCache({ l1: new MemoryCache({ clock: { now: () => now } }), now: () => now });
    let version = 0;
    const versioned = cached(async () => ++version, { cache: clockCache, namespace: 'test.grace', ttlMs: 1000, graceMs: 5000, jitterRatio: 0 });

    expect(await versioned()).toBe(1);
    now += 2000;
    expect(await versioned()).toBe(1);
    await clockCache.settle();
    expect(await versioned()).toBe(2);
  });

  it.each([
    { name: 'an empty namespace', options: { namespace: '', ttlMs: 1000 }, message: /namespace must be/ },
    { name: 'a zero TTL', options: { namespace: 'ok', ttlMs: 0 }, message: /ttlMs must be a positive number/ },
    { name: 'a negative grace period', options: { namespace: 'ok', ttlMs: 1000, graceMs: -1 }, message: /graceMs must be 0 or more/ },
  ])('rejects $name', ({ options, message }) => {
    expect(() => cached(async () => 1, { cache, ...options })).toThrow(message);
  });
});

describe('cached as a method decorator', () => {
  const cache = new HybridCache();

  it('caches a method with experimentalDecorators', async () => {
    class PriceList {
      calls = 0;

      @cached({ cache, namespace: 'test.decorated', ttlMs: 60_000 })
      async priceOf(sku: string): Promise<number> {
        this.calls += 1;
        return sku.length;
      }
    }
    const prices = new PriceList();

    await prices.priceOf('abc');
    await prices.priceOf('abc');

    expect(prices.calls).toBe(1);
  });

  it('caches a method as a standard decorator', async () => {
    let calls = 0;
    const method = async function (this: object, sku: string): Promise<number> {
      calls += 1;
      return sku.length;
    };
    const decorate = cached({ cache, namespace: 'test.standard', ttlMs: 60_000 });
    const replacement = decorate(method, { kind: 'method', name: 'priceOf' }) as typeof method;
    const instance = {};

    await replacement.call(instance, 'abcd');
    await replacement.call(instance, 'abcd');

    expect(calls).toBe(1);
  });
});
