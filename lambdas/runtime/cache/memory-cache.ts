import { LRUCache } from 'lru-cache';

/** Maximum size of the L1 cache, in bytes: small enough to leave most of a 512 MB function's memory to the work. */
export const DEFAULT_L1_MAX_SIZE_BYTES = 64 * 1024 * 1024;

/** One stored value with the facts needed to report its age. */
export interface CacheEntry<T = unknown> {
  readonly value: T;
  /** Epoch time at which the value was stored, in ms. */
  readonly storedAtMs: number;
}

/** Options of the in-memory L1 cache. */
export interface MemoryCacheOptions {
  /**
   * Maximum total size of stored values, in bytes, measured as their JSON text.
   * @default DEFAULT_L1_MAX_SIZE_BYTES
   */
  readonly maxSizeBytes?: number;
  /**
   * Clock against which TTLs are measured, in ms. Tests pass one that fake timers control.
   * @default performance
   */
  readonly clock?: { now(): number };
}

/**
 * The L1 tier: a least-recently-used map bounded in bytes, so that large MCP results cannot
 * exhaust the function's memory. Entries expire by TTL, checked on read.
 */
export class MemoryCache {
  private readonly entries: LRUCache<string, CacheEntry>;

  constructor(options: MemoryCacheOptions = {}) {
    const maxSizeBytes = options.maxSizeBytes ?? DEFAULT_L1_MAX_SIZE_BYTES;
    if (!Number.isInteger(maxSizeBytes) || maxSizeBytes <= 0) {
      throw new RangeError(`maxSizeBytes must be a positive whole number of bytes, got ${maxSizeBytes}`);
    }

    // ttlAutopurge stays off: expiry is checked on read, so no timer keeps an invocation alive.
    this.entries = new LRUCache<string, CacheEntry>({ maxSize: maxSizeBytes, ttlAutopurge: false, perf: options.clock });
  }

  /** Returns the live entry under `key`, or undefined when it is missing or expired. */
  get<T>(key: string): CacheEntry<T> | undefined {
    return this.entries.get(key) as CacheEntry<T> | undefined;
  }

  /**
   * Stores a value for `ttlMs`. A value larger than the whole cache is not stored.
   * @param sizeBytes size of the value's JSON text, which the caller has already computed
   */
  set(key: string, value: unknown, ttlMs: number, sizeBytes: number): void {
    this.entries.set(key, { value, storedAtMs: Date.now() }, { ttl: ttlMs, size: Math.max(1, sizeBytes) });
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }

  /** Number of live and expired entries held. */
  get size(): number {
    return this.entries.size;
  }

  /** Total size of held values, in bytes. */
  get sizeBytes(): number {
    return this.entries.calculatedSize;
  }
}
