import { MemoryCache } from '../../lambdas/runtime/cache/memory-cache';
import { ResultCache } from '../../lambdas/runtime/cache/result-cache';

describe('MemoryCache', () => {
  afterEach(() => {
    jest.useRealTimers();
  });

  it('returns a stored value until its TTL passes', () => {
    jest.useFakeTimers();
    const cache = new MemoryCache({ maxSizeBytes: 1024, clock: { now: () => Date.now() } });
    cache.set('k', { text: 'v' }, 1000, 12);

    jest.advanceTimersByTime(999);
    expect(cache.get('k')?.value).toEqual({ text: 'v' });

    jest.advanceTimersByTime(2);
    expect(cache.get('k')).toBeUndefined();
  });

  it('evicts the least recently used entry past its byte bound', () => {
    const cache = new MemoryCache({ maxSizeBytes: 100 });
    cache.set('a', 'a', 60_000, 40);
    cache.set('b', 'b', 60_000, 40);
    cache.get('a');
    cache.set('c', 'c', 60_000, 40);

    expect(cache.get('a')).toBeDefined();
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('c')).toBeDefined();
    expect(cache.sizeBytes).toBeLessThanOrEqual(100);
  });

  it.each([0, -1, 1.5, Number.NaN])('rejects a maxSizeBytes of %p', (maxSizeBytes) => {
    expect(() => new MemoryCache({ maxSizeBytes })).toThrow(/maxSizeBytes must be a positive whole number/);
  });
});

describe('ResultCache', () => {
  it('reads back a result that deep-equals the stored one', async () => {
    const cache = new ResultCache();
    const result = { content: [{ type: 'text', text: 'ünïcode ✓' }, { type: 'image', data: 'AAEC', mimeType: 'image/png' }], isError: false };
    await cache.set('k', result, 60_000);

    const hit = await cache.get('k');
    expect(hit?.value).toEqual(result);
    expect(hit?.tier).toBe('l1');
    expect(hit?.ageMs).toBeGreaterThanOrEqual(0);
  });

  it('does not store a value over the maximum size', async () => {
    const cache = new ResultCache({ maxValueBytes: 32 });

    await expect(cache.set('k', { text: 'x'.repeat(64) }, 60_000)).resolves.toBe('too_large');
    await expect(cache.get('k')).resolves.toBeUndefined();
  });
});
