import type { Redis } from 'ioredis';

import { applyJitter, MAX_HINTED_TTL_MS, writeOptionsFor, type CachePolicy } from '../../../lambdas/runtime/cache/cache-policy';
import { HybridCache } from '../../../lambdas/runtime/cache/hybrid-cache';
import type { L2Cache } from '../../../lambdas/runtime/cache/l2/l2-cache';
import { MemoryCache } from '../../../lambdas/runtime/cache/memory-cache';
import { DEFAULT_COMPRESSION_THRESHOLD_BYTES, UnserializableValueError } from '../../../lambdas/runtime/cache/value-codec';
import { TestRedisServer } from '../../support/redis-server';
import { createInspector, createTestL2 } from '../../support/test-l2';

const writeOptions = { ttlMs: 60_000, graceMs: 10_000 };

/** First byte of an L2 value, as value-codec writes it. */
const FORMAT_JSON = 0x00;
const FORMAT_BROTLI_JSON = 0x01;

/** About 8 KiB of text that differs line by line, as a long tool result would. */
const largeText = Array.from({ length: 400 }, (_, line) => `line ${line}: value ${(line * 7919) % 1000}`).join('\n');

/** An MCP tool result with the shapes that a JSON round trip must keep. */
const mcpResult = {
  content: [
    { type: 'text', text: 'Grüße aus Zürich, 東京, Привет, emoji 🚀👩🏽‍💻 and a lone surrogate \ud800' },
    { type: 'text', text: largeText },
    { type: 'resource', resource: { uri: 'demo://resource/1', mimeType: 'application/json', text: '{"a":1}' } },
  ],
  structuredContent: {
    matrix: [[1, 2], [3, [4, [5, []]]], []],
    empty: {},
    nothing: null,
    flags: [true, false],
    numbers: [0, -1, 0.1, 1e21, Number.MAX_SAFE_INTEGER],
  },
  isError: false,
};

const roundTripCases: [string, unknown][] = [
  ['a full MCP tool result', mcpResult],
  ['unicode text', { content: [{ type: 'text', text: 'ñ ß 中文 🙂 \u0000 \u2028 "quoted" \\ back' }] }],
  ['nested arrays', { content: [], structuredContent: { rows: [[[1]], [[2, [3]]], [[]]] } }],
  ['a text over 4 KiB', { content: [{ type: 'text', text: largeText }] }],
  ['isError false', { content: [{ type: 'text', text: 'ok' }], isError: false }],
  ['a top-level array', [1, 'two', { three: [3] }]],
  ['a bare string', 'just text'],
];

describe('HybridCache tiers', () => {
  let redis: TestRedisServer;
  let inspector: Redis;
  const opened: { cache: HybridCache; l2: L2Cache }[] = [];

  /** Creates an instance on the test Redis with an L1 of its own, as a second Lambda instance would have. */
  function createInstance(l1 = new MemoryCache(), now?: () => number): HybridCache {
    const l2 = createTestL2(redis.port);
    const cache = new HybridCache({ l1, l2, now });
    opened.push({ cache, l2 });
    return cache;
  }

  beforeAll(async () => {
    redis = await TestRedisServer.start();
    inspector = createInspector(redis.port);
  });

  beforeEach(async () => {
    await inspector.flushall();
  });

  afterEach(async () => {
    for (const { cache } of opened.splice(0)) {
      await cache.close();
    }
  });

  afterAll(async () => {
    inspector?.disconnect();
    await redis?.stop();
  });

  it('misses an unknown key', async () => {
    const cache = createInstance();

    expect(await cache.get('tiers:unknown')).toBeUndefined();
  });

  it('serves a set value from L1', async () => {
    const cache = createInstance();
    await cache.set('tiers:l1', { text: 'v' }, writeOptions);

    const lookup = await cache.get('tiers:l1');

    expect(lookup).toMatchObject({ value: { text: 'v' }, tier: 'l1', stale: false });
  });

  it('writes a set value to L2', async () => {
    const cache = createInstance();

    expect(await cache.set('tiers:written', { text: 'v' }, writeOptions)).toBe('stored');

    expect(await inspector.exists('tiers:written')).toBe(1);
  });

  it('serves L2 when L1 cannot hold the value', async () => {
    const cache = createInstance(new MemoryCache({ maxSizeBytes: 64 }));
    const value = { content: [{ type: 'text', text: 'x'.repeat(200) }] };
    await cache.set('tiers:tiny-l1', value, writeOptions);

    const lookup = await cache.get('tiers:tiny-l1');

    expect(lookup?.tier).toBe('l2');
    expect(lookup?.value).toEqual(value);
  });

  it('serves L2 after an L1 eviction', async () => {
    const cache = createInstance(new MemoryCache({ maxSizeBytes: 200 }));
    await cache.set('tiers:evicted', { text: 'a'.repeat(100) }, writeOptions);
    await cache.set('tiers:newer', { text: 'b'.repeat(100) }, writeOptions);

    const lookup = await cache.get('tiers:evicted');

    expect(lookup?.tier).toBe('l2');
    expect(lookup?.value).toEqual({ text: 'a'.repeat(100) });
  });

  it("serves another instance's value from L2", async () => {
    const writer = createInstance();
    const reader = createInstance();
    await writer.set('tiers:shared', { text: 'shared' }, writeOptions);

    const lookup = await reader.get('tiers:shared');

    expect(lookup).toMatchObject({ value: { text: 'shared' }, tier: 'l2', stale: false });
  });

  it('copies an L2 hit into L1', async () => {
    const writer = createInstance();
    const reader = createInstance();
    await writer.set('tiers:copied', { text: 'copied' }, writeOptions);
    await reader.get('tiers:copied');
    // With Redis emptied, only the reader's L1 can still serve the value.
    await inspector.flushall();

    const lookup = await reader.get('tiers:copied');

    expect(lookup).toMatchObject({ value: { text: 'copied' }, tier: 'l1' });
  });

  it.each(roundTripCases)('round-trips %s through L2', async (_label, value) => {
    const writer = createInstance();
    const reader = createInstance();
    await writer.set('tiers:round-trip', value, writeOptions);

    const lookup = await reader.get('tiers:round-trip');

    expect(lookup?.tier).toBe('l2');
    expect(lookup?.value).toStrictEqual(value);
  });

  it.each([
    ['compresses', 'a text over 4 KiB', largeText, FORMAT_BROTLI_JSON],
    ['keeps plain', 'a short text', 'short', FORMAT_JSON],
  ])('%s %s in L2', async (_verb, _label, text, format) => {
    const cache = createInstance();
    const value = { content: [{ type: 'text', text }] };
    await cache.set('tiers:format', value, writeOptions);

    const bytes = await inspector.getBuffer('tiers:format');

    expect(bytes?.[0]).toBe(format);
    if (format === FORMAT_BROTLI_JSON) {
      expect(Buffer.byteLength(JSON.stringify(value))).toBeGreaterThan(DEFAULT_COMPRESSION_THRESHOLD_BYTES);
      expect(bytes!.length).toBeLessThan(Buffer.byteLength(JSON.stringify(value)) / 2);
    }
  });

  it('expires L2 after TTL plus grace', async () => {
    const cache = createInstance();
    await cache.set('tiers:expiry', { text: 'v' }, { ttlMs: 30_000, graceMs: 5_000 });

    const remainingMs = await inspector.pttl('tiers:expiry');

    expect(remainingMs).toBeLessThanOrEqual(35_000);
    expect(remainingMs).toBeGreaterThan(34_000);
  });

  it.each([
    ['an unknown format byte', Buffer.from([0x7f, 0x7b, 0x7d])],
    ['truncated JSON', Buffer.concat([Buffer.of(FORMAT_JSON), Buffer.from('{"t":1,"f":')])],
    ['invalid brotli data', Buffer.concat([Buffer.of(FORMAT_BROTLI_JSON), Buffer.from('not brotli at all')])],
    ['an empty value', Buffer.alloc(0)],
  ])('misses on %s in L2', async (_label, bytes) => {
    const cache = createInstance();
    await inspector.set('tiers:corrupt', bytes);

    expect(await cache.get('tiers:corrupt')).toBeUndefined();
  });

  it('serves an L2 value stale within grace', async () => {
    const writer = createInstance();
    await writer.set('tiers:stale', { text: 'old' }, { ttlMs: 1_000, graceMs: 60_000 });
    const later = Date.now() + 2_000;
    const reader = createInstance(new MemoryCache(), () => later);

    const lookup = await reader.get('tiers:stale');

    expect(lookup).toMatchObject({ value: { text: 'old' }, tier: 'l2', stale: true });
    expect(lookup!.ageMs).toBeGreaterThanOrEqual(2_000);
  });

  it('misses an L2 value past grace', async () => {
    const writer = createInstance();
    await writer.set('tiers:past-grace', { text: 'old' }, { ttlMs: 1_000, graceMs: 1_000 });
    const later = Date.now() + 2_500;
    const reader = createInstance(new MemoryCache(), () => later);

    expect(await reader.get('tiers:past-grace')).toBeUndefined();
  });

  it('overwrites a value in both tiers', async () => {
    const writer = createInstance();
    const reader = createInstance();
    await writer.set('tiers:overwrite', { version: 1 }, writeOptions);
    await writer.set('tiers:overwrite', { version: 2 }, writeOptions);

    expect((await writer.get('tiers:overwrite'))?.value).toEqual({ version: 2 });
    expect((await reader.get('tiers:overwrite'))?.value).toEqual({ version: 2 });
  });
});

describe('HybridCache TTL and grace', () => {
  const ttlMs = 1_000;
  const graceMs = 500;
  let cache: HybridCache;

  beforeEach(async () => {
    jest.useFakeTimers();
    // Built after the fake timers, so that its default clock, Date.now, is the fake one.
    cache = new HybridCache({ l1: new MemoryCache({ clock: { now: () => Date.now() } }) });
    await cache.set('ttl:key', { text: 'v' }, { ttlMs, graceMs });
  });

  afterEach(() => {
    jest.useRealTimers();
  });

  it.each([
    ['fresh just after the write', 0, false],
    ['fresh just before the TTL', ttlMs - 1, false],
    ['stale at the TTL', ttlMs, true],
    ['stale just before grace ends', ttlMs + graceMs - 1, true],
  ])('reads %s', async (_label, elapsedMs, stale) => {
    jest.advanceTimersByTime(elapsedMs);

    const lookup = await cache.get('ttl:key');

    expect(lookup).toMatchObject({ value: { text: 'v' }, tier: 'l1', stale, ageMs: elapsedMs });
  });

  it('drops the value after grace', async () => {
    jest.advanceTimersByTime(ttlMs + graceMs + 1);

    expect(await cache.get('ttl:key')).toBeUndefined();
  });
});

class Point {
  constructor(
    readonly x: number,
    readonly y: number,
  ) {}
}

describe('HybridCache value checks', () => {
  let redis: TestRedisServer;
  let inspector: Redis;
  let cache: HybridCache;

  beforeAll(async () => {
    redis = await TestRedisServer.start();
    inspector = createInspector(redis.port);
    cache = new HybridCache({ l2: createTestL2(redis.port), maxValueBytes: 100 });
  });

  afterAll(async () => {
    await cache?.close();
    inspector?.disconnect();
    await redis?.stop();
  });

  const sparse: unknown[] = [1];
  sparse[2] = 3;

  it.each([
    ['a Date', { when: new Date(0) }, 'value.when'],
    ['a Map', { index: new Map([['a', 1]]) }, 'value.index'],
    ['an undefined property', { text: 'v', extra: undefined }, 'value.extra'],
    ['NaN', { score: Number.NaN }, 'value.score'],
    ['Infinity', { score: Number.POSITIVE_INFINITY }, 'value.score'],
    ['-0', { offset: -0 }, 'value.offset'],
    ['a class instance', { at: new Point(1, 2) }, 'value.at'],
    ['a sparse array', { items: sparse }, 'value.items[1]'],
    ['a BigInt', { id: BigInt(1) }, 'value.id'],
    ['a function', { run: () => undefined }, 'value.run'],
    ['a nested Date', { content: [{ type: 'text', when: new Date(0) }] }, 'value.content[0].when'],
    ['a Date at the top', new Date(0), 'value'],
  ])('rejects %s', async (label, value, path) => {
    const key = `checks:${label}`;

    const error = await cache.set(key, value, writeOptions).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(UnserializableValueError);
    expect(error).toMatchObject({ code: 'value_not_serializable', path });
    expect((error as Error).message).toContain(path);
    expect(await cache.get(key)).toBeUndefined();
    expect(await inspector.exists(key)).toBe(0);
  });

  it('rejects a value over maxValueBytes', async () => {
    const value = { text: 'x'.repeat(100) };

    expect(await cache.set('checks:large', value, writeOptions)).toBe('too_large');
    expect(await cache.get('checks:large')).toBeUndefined();
    expect(await inspector.exists('checks:large')).toBe(0);
  });

  it('stores a value of exactly maxValueBytes', async () => {
    // {"text":"…"} is 11 bytes of JSON around the text.
    const value = { text: 'x'.repeat(89) };
    expect(Buffer.byteLength(JSON.stringify(value))).toBe(100);

    expect(await cache.set('checks:limit', value, writeOptions)).toBe('stored');
    expect(await inspector.exists('checks:limit')).toBe(1);
  });

  it('measures maxValueBytes in UTF-8 bytes', async () => {
    // 25 emoji of 4 UTF-8 bytes and 2 UTF-16 units each give 111 bytes of JSON in only 61 characters.
    const value = { text: '🚀'.repeat(25) };
    expect(JSON.stringify(value).length).toBeLessThan(100);
    expect(Buffer.byteLength(JSON.stringify(value))).toBeGreaterThan(100);

    expect(await cache.set('checks:utf8', value, writeOptions)).toBe('too_large');
  });
});

describe('applyJitter', () => {
  const ttlMs = 60_000;

  it.each([0, 0.1, 0.5])('keeps the TTL at random 0 for ratio %p', (ratio) => {
    expect(applyJitter(ttlMs, ratio, () => 0)).toBe(ttlMs);
  });

  it.each([
    [0, 60_000],
    [0.1, 54_000],
    [0.5, 30_000],
  ])('shortens fully at random 1 for ratio %p', (ratio, expectedMs) => {
    expect(applyJitter(ttlMs, ratio, () => 1)).toBe(expectedMs);
  });

  it.each([0.1, 0.25, 0.5])('stays within bounds for ratio %p', (ratio) => {
    const draws = Array.from({ length: 1000 }, () => applyJitter(ttlMs, ratio));

    expect(Math.min(...draws)).toBeGreaterThanOrEqual(ttlMs * (1 - ratio));
    expect(Math.max(...draws)).toBeLessThanOrEqual(ttlMs);
    // 1000 uniform draws cover well over half the range, so a jitter that never varies fails here.
    expect(Math.max(...draws) - Math.min(...draws)).toBeGreaterThan(ttlMs * ratio * 0.5);
  });

  it('never returns less than 1 ms', () => {
    expect(applyJitter(1, 0.5, () => 1)).toBe(1);
  });
});

describe('writeOptionsFor', () => {
  const policy: CachePolicy = { cacheable: true, ttlMs: 60_000, graceMs: 5_000, jitterRatio: 0.1 };
  const noJitter = (): number => 0;

  it('uses the policy TTL without hints', () => {
    expect(writeOptionsFor(policy, { content: [] }, noJitter)).toEqual({ ttlMs: 60_000, graceMs: 5_000 });
  });

  it('replaces the TTL with a ttlMs hint', () => {
    expect(writeOptionsFor(policy, { content: [], ttlMs: 1_234 }, noJitter)).toEqual({ ttlMs: 1_234, graceMs: 5_000 });
  });

  it('caps a ttlMs hint at one day', () => {
    expect(writeOptionsFor(policy, { content: [], ttlMs: MAX_HINTED_TTL_MS * 10 }, noJitter)).toEqual({ ttlMs: MAX_HINTED_TTL_MS, graceMs: 5_000 });
  });

  it('jitters a hinted TTL', () => {
    expect(writeOptionsFor(policy, { content: [], ttlMs: 10_000 }, () => 1)).toEqual({ ttlMs: 9_000, graceMs: 5_000 });
  });

  it.each([
    ['a negative ttlMs hint', -5],
    ['an infinite ttlMs hint', Number.POSITIVE_INFINITY],
    ['a string ttlMs hint', '5'],
  ])('ignores %s', (_label, ttlMs) => {
    expect(writeOptionsFor(policy, { content: [], ttlMs }, noJitter)).toEqual({ ttlMs: 60_000, graceMs: 5_000 });
  });

  it.each<[string, CachePolicy, unknown]>([
    ['a ttlMs hint of 0', policy, { content: [], ttlMs: 0 }],
    ['an isError result', policy, { content: [{ type: 'text', text: 'failed' }], isError: true }],
    ['an isError result with a ttlMs hint', policy, { content: [], isError: true, ttlMs: 5_000 }],
    ['an uncacheable policy', { ...policy, cacheable: false }, { content: [] }],
    ['a null result', policy, null],
    ['a string result', policy, 'text'],
  ])('stores nothing for %s', (_label, cachePolicy, result) => {
    expect(writeOptionsFor(cachePolicy, result, noJitter)).toBeUndefined();
  });
});
