import { MemoryCache } from './memory-cache';

/** Largest value the cache stores, in bytes of JSON text. Larger results are served but not stored. */
export const DEFAULT_MAX_VALUE_BYTES = 1024 * 1024;

/** Cache tier that served a hit. */
export type CacheTier = 'l1' | 'l2';

/** A cache hit: the value, the tier it came from and its age. */
export interface CacheHit<T = unknown> {
  readonly value: T;
  readonly tier: CacheTier;
  readonly ageMs: number;
}

/** Outcome of a write. */
export type CacheWriteOutcome = 'stored' | 'too_large';

/** Options of the result cache. */
export interface ResultCacheOptions {
  /** The L1 tier. @default a MemoryCache of DEFAULT_L1_MAX_SIZE_BYTES */
  readonly l1?: MemoryCache;
  /** Largest value stored, in bytes of JSON text. @default DEFAULT_MAX_VALUE_BYTES */
  readonly maxValueBytes?: number;
}

/**
 * The cache of MCP results that the query runner reads and writes. It has an L1 tier in
 * memory. Its methods are async so that an L2 tier on ElastiCache fits behind the same calls.
 */
export class ResultCache {
  readonly l1: MemoryCache;
  private readonly maxValueBytes: number;

  constructor(options: ResultCacheOptions = {}) {
    this.l1 = options.l1 ?? new MemoryCache();
    this.maxValueBytes = options.maxValueBytes ?? DEFAULT_MAX_VALUE_BYTES;
  }

  /** Looks a key up, L1 first. Resolves undefined on a miss. */
  async get<T>(key: string): Promise<CacheHit<T> | undefined> {
    const entry = this.l1.get<T>(key);
    if (entry === undefined) {
      return undefined;
    }
    return { value: entry.value, tier: 'l1', ageMs: Date.now() - entry.storedAtMs };
  }

  /** Stores a result for `ttlMs`, unless its JSON text is larger than the maximum value size. */
  async set(key: string, value: unknown, ttlMs: number): Promise<CacheWriteOutcome> {
    const sizeBytes = Buffer.byteLength(JSON.stringify(value));
    if (sizeBytes > this.maxValueBytes) {
      return 'too_large';
    }

    this.l1.set(key, value, ttlMs, sizeBytes);
    return 'stored';
  }

  /** Drops every entry of every tier. */
  async clear(): Promise<void> {
    this.l1.clear();
  }
}
