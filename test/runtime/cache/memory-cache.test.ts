import { MemoryCache } from '../../../lambdas/runtime/cache/memory-cache';
import type { StoredEntry } from '../../../lambdas/runtime/cache/value-codec';

function entry(value: unknown, ttlMs: number, graceMs = 0): StoredEntry {
  const now = Date.now();
  return { value, storedAtMs: now, freshUntilMs: now + ttlMs, staleUntilMs: now + ttlMs + graceMs };
}

describe('MemoryCache', () => {
  afterEach(() => {
    jest.useRealTimers();
  });

  it('keeps an entry until the end of its grace period', () => {
    jest.useFakeTimers();
    const cache = new MemoryCache({ maxSizeBytes: 1024, clock: { now: () => Date.now() } });
    cache.set('k', entry({ text: 'v' }, 1000, 500), 12, 1500);

    jest.advanceTimersByTime(1499);
    expect(cache.get('k')?.value).toEqual({ text: 'v' });

    jest.advanceTimersByTime(2);
    expect(cache.get('k')).toBeUndefined();
  });

  it('evicts the least recently used entry past its byte bound', () => {
    const cache = new MemoryCache({ maxSizeBytes: 100 });
    cache.set('a', entry('a', 60_000), 40, 60_000);
    cache.set('b', entry('b', 60_000), 40, 60_000);
    cache.get('a');
    cache.set('c', entry('c', 60_000), 40, 60_000);

    expect(cache.get('a')).toBeDefined();
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('c')).toBeDefined();
    expect(cache.sizeBytes).toBeLessThanOrEqual(100);
  });

  it('evicts past its entry bound', () => {
    const cache = new MemoryCache({ maxSizeBytes: 1_000_000, maxEntries: 2 });
    cache.set('a', entry('a', 60_000), 1, 60_000);
    cache.set('b', entry('b', 60_000), 1, 60_000);
    cache.set('c', entry('c', 60_000), 1, 60_000);

    expect(cache.size).toBe(2);
    expect(cache.get('a')).toBeUndefined();
  });

  it('drops entries by key prefix', () => {
    const cache = new MemoryCache();
    cache.set('mcpa:v1:docs:1', entry(1, 60_000), 1, 60_000);
    cache.set('mcpa:v1:docs:2', entry(2, 60_000), 1, 60_000);
    cache.set('mcpa:v1:pricing:1', entry(3, 60_000), 1, 60_000);

    expect(cache.deleteByPrefix('mcpa:v1:docs:')).toBe(2);
    expect(cache.get('mcpa:v1:pricing:1')).toBeDefined();
  });

  it.each([0, -1, 1.5, Number.NaN])('rejects a maxSizeBytes of %p', (maxSizeBytes) => {
    expect(() => new MemoryCache({ maxSizeBytes })).toThrow(/maxSizeBytes must be a positive whole number/);
  });
});
