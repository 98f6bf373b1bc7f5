import { LRUCache } from 'lru-cache';

import type { StoredEntry } from './value-codec';

/** Maximum size of the L1 cache, in bytes: small enough to leave most of a 512 MB function's memory to the work. */
export const DEFAULT_L1_MAX_SIZE_BYTES = 64 * 1024 * 1024;

/** Options of the in-memory L1 cache. */
export interface MemoryCacheOptions {
  /**
   * Maximum total size of stored values, in bytes, measured as their JSON text.
   * @default DEFAULT_L1_MAX_SIZE_BYTES
   */
  readonly maxSizeBytes?: number;
  /**
   * Maximum number of entries, beside the byte bound.
   * @default - no bound on the count
   */
  readonly maxEntries?: number;
  /**
   * Clock against which TTLs are measured, in ms. Tests pass one that fake timers control.
   * @default performance
   */
  readonly clock?: { now(): number };
}

/**
 * The L1 tier: a least-recently-used map bounded in bytes, so that large MCP results cannot
 * exhaust the function's memory. An entry lives until the end of its grace period, checked
 * on read; whether it is still fresh is the caller's question.
 */
export class MemoryCache {
  private readonly entries: LRUCache<string, StoredEntry>;

  constructor(options: MemoryCacheOptions = {}) {
    const maxSizeBytes = options.maxSizeBytes ?? DEFAULT_L1_MAX_SIZE_BYTES;
    if (!Number.isInteger(maxSizeBytes) || maxSizeBytes <= 0) {
      throw new RangeError(`maxSizeBytes must be a positive whole number of bytes, got ${maxSizeBytes}`);
    }
    if (options.maxEntries !== undefined && (!Number.isInteger(options.maxEntries) || options.maxEntries <= 0)) {
      throw new RangeError(`maxEntries must be a positive whole number, got ${options.maxEntries}`);
    }

    // ttlAutopurge stays off: expiry is checked on read, so no timer keeps an invocation alive.
    this.entries = new LRUCache<string, StoredEntry>({
      maxSize: maxSizeBytes,
      max: options.maxEntries,
      ttlAutopurge: false,
      perf: options.clock,
    });
  }

  /** Returns the entry under `key`, or undefined when it is missing or past its grace period. */
  get<T>(key: string): StoredEntry<T> | undefined {
    return this.entries.get(key) as StoredEntry<T> | undefined;
  }

  /**
   * Stores an entry for `ttlMs`, which the caller sets to the end of its grace period. An
   * entry larger than the whole cache is not stored.
   * @param sizeBytes size of the value's JSON text, which the caller has already computed
   */
  set(key: string, entry: StoredEntry, sizeBytes: number, ttlMs: number): void {
    this.entries.set(key, entry, { ttl: Math.max(1, Math.round(ttlMs)), size: Math.max(1, sizeBytes) });
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  /** Drops every entry whose key starts with `prefix`. */
  deleteByPrefix(prefix: string): number {
    let deleted = 0;
    for (const key of [...this.entries.keys()]) {
      if (key.startsWith(prefix)) {
        this.entries.delete(key);
        deleted += 1;
      }
    }
    return deleted;
  }

  clear(): void {
    this.entries.clear();
  }

  /** Number of entries held, expired ones included until they are read or evicted. */
  get size(): number {
    return this.entries.size;
  }

  /** Total size of held values, in bytes. */
  get sizeBytes(): number {
    return this.entries.calculatedSize;
  }
}
