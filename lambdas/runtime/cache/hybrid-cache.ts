import type { L2Cache } from './l2/l2-cache';
import { MemoryCache } from './memory-cache';
import { SingleFlight } from './single-flight';
import { assertJsonExact, decodeEntry, encodeEntry, type StoredEntry } from './value-codec';
import { GenerationCounters } from './generation-counters';

/** Largest value stored, in bytes of JSON text. Larger results are served but not stored. */
export const DEFAULT_MAX_VALUE_BYTES = 1024 * 1024;

/** Time a stampede lock is held at most, in ms, so a crashed holder blocks others only that long. */
export const DEFAULT_LOCK_TTL_MS = 10_000;

/** Interval at which a caller waiting on another instance's lock looks for the value, in ms. */
export const LOCK_POLL_INTERVAL_MS = 25;

/** Cache tier that served a hit. */
export type CacheTier = 'l1' | 'l2';

/** A lookup that found a value, fresh or within its grace period. */
export interface CacheLookup<T = unknown> {
  readonly value: T;
  readonly tier: CacheTier;
  /** Age of the value, in ms. */
  readonly ageMs: number;
  /** True when the value is past its TTL but within its grace period. */
  readonly stale: boolean;
}

/** How long to keep one value. */
export interface CacheWriteOptions {
  /** Time the value stays fresh, in ms, jitter already applied. */
  readonly ttlMs: number;
  /** Time after the TTL during which the stale value may be served while one refresh runs, in ms. */
  readonly graceMs: number;
}

/** Outcome of a write. */
export type CacheWriteOutcome = 'stored' | 'too_large' | 'not_cacheable';

/** Result of a miss: the value, and whether this caller shared someone else's load. */
export interface LoadResult<T> {
  readonly value: T;
  /** True when another caller's load produced the value, in this process or another. */
  readonly shared: boolean;
  /** Outcome of this caller's write; absent when the value was shared. */
  readonly writeOutcome?: CacheWriteOutcome;
}

/**
 * Decides where and how long a loaded value is stored, or returns undefined to store nothing
 * (an error result, a tool that is not cacheable).
 */
export type WriteDecision<T> = (value: T) => { readonly key: string; readonly options: CacheWriteOptions } | undefined;

/** Options of one load. */
export interface LoadOptions {
  /** Maximum wait for another instance's load, in ms: the query's own timeout. */
  readonly maxWaitMs: number;
  /** Loads even if another instance stored a fresh value meanwhile, as `cache: "refresh"` requests. */
  readonly force?: boolean;
}

/** Options of the hybrid cache. */
export interface HybridCacheOptions {
  /** @default a MemoryCache of DEFAULT_L1_MAX_SIZE_BYTES */
  readonly l1?: MemoryCache;
  /** The L2 tier; without one the cache is L1 only. */
  readonly l2?: L2Cache;
  /** Largest value stored, in bytes of JSON text. @default DEFAULT_MAX_VALUE_BYTES */
  readonly maxValueBytes?: number;
  /** @default DEFAULT_LOCK_TTL_MS */
  readonly lockTtlMs?: number;
  /** Clock for TTLs, in epoch ms. @default Date.now */
  readonly now?: () => number;
}

/**
 * The two-tier cache: L1 in memory, L2 on ElastiCache behind its guard. Reads go L1 then L2
 * and copy L2 hits into L1. A miss is loaded once per key in this process (single-flight) and,
 * with L2, once across processes: a short `SET NX PX` lock lets one instance load while the
 * others wait a bounded time for its value. Writes that the caller does not await are tracked,
 * so a handler can let them finish after its response ends.
 */
export class HybridCache {
  readonly l1: MemoryCache;
  readonly l2: L2Cache | undefined;
  readonly generations: GenerationCounters;
  private readonly maxValueBytes: number;
  private readonly lockTtlMs: number;
  private readonly now: () => number;
  private readonly singleFlight = new SingleFlight();
  private readonly pending = new Set<Promise<unknown>>();

  constructor(options: HybridCacheOptions = {}) {
    this.l1 = options.l1 ?? new MemoryCache();
    this.l2 = options.l2;
    this.maxValueBytes = options.maxValueBytes ?? DEFAULT_MAX_VALUE_BYTES;
    this.lockTtlMs = options.lockTtlMs ?? DEFAULT_LOCK_TTL_MS;
    this.now = options.now ?? Date.now;
    this.generations = new GenerationCounters({ l2: this.l2, now: this.now });
  }

  /** Looks a key up, L1 then L2, and resolves a fresh or stale value, or undefined on a miss. */
  async get<T>(key: string): Promise<CacheLookup<T> | undefined> {
    const local = this.l1.get<T>(key);
    if (local !== undefined) {
      return this.toLookup(local, 'l1');
    }

    const remote = await this.readL2<T>(key);
    if (remote === undefined) {
      return undefined;
    }
    this.l1.set(key, remote.entry, remote.sizeBytes, remote.entry.staleUntilMs - this.now());
    return this.toLookup(remote.entry, 'l2');
  }

  /**
   * Stores a value in L1 and L2 and resolves once both are written. A value over the maximum
   * size is not stored.
   * @throws UnserializableValueError when JSON cannot represent the value exactly
   */
  async set(key: string, value: unknown, options: CacheWriteOptions): Promise<CacheWriteOutcome> {
    const { outcome, written } = this.store(key, value, options);
    await written;
    return outcome;
  }

  /**
   * Stores a value: L1 at once, L2 through the returned promise, which never rejects.
   * @throws UnserializableValueError when JSON cannot represent the value exactly
   */
  store(key: string, value: unknown, options: CacheWriteOptions): { outcome: CacheWriteOutcome; written: Promise<void> } {
    assertJsonExact(value);
    const json = JSON.stringify(value);
    const sizeBytes = Buffer.byteLength(json);
    if (sizeBytes > this.maxValueBytes) {
      return { outcome: 'too_large', written: Promise.resolve() };
    }

    const storedAtMs = this.now();
    const entry: StoredEntry = {
      value,
      storedAtMs,
      freshUntilMs: storedAtMs + options.ttlMs,
      staleUntilMs: storedAtMs + options.ttlMs + options.graceMs,
    };
    this.l1.set(key, entry, sizeBytes, options.ttlMs + options.graceMs);
    const written = this.l2 === undefined ? Promise.resolve() : this.l2.set(key, encodeEntry(entry), options.ttlMs + options.graceMs).then(() => undefined);
    return { outcome: 'stored', written };
  }

  /**
   * Loads a missing value once: concurrent callers in this process share one load, and with
   * L2 a lock makes other instances wait for this one's value. After taking the lock, L1 then
   * L2 are read again, since another instance may have stored the value meanwhile, unless
   * `force` requests a fresh load. The value is returned as soon as it is loaded; its write
   * and the lock release run on, tracked.
   */
  load<T>(key: string, loader: () => Promise<T>, decide: WriteDecision<T>, options: LoadOptions): Promise<LoadResult<T>> {
    return this.singleFlight
      .run(key, () => this.loadAcrossInstances(key, loader, decide, options))
      .then(({ value, shared }) => (shared ? { value: value.value, shared: true } : value));
  }

  /** Reloads a stale value in the background, once per key, tracked until it settles. */
  refresh<T>(key: string, loader: () => Promise<T>, decide: WriteDecision<T>, options: LoadOptions): void {
    this.track(this.load(key, loader, decide, { ...options, force: true }));
  }

  /** Tracks work that runs after its caller moved on, so `settle` can wait for it. */
  track(work: Promise<unknown>): void {
    const tracked: Promise<unknown> = work.catch(() => undefined).finally(() => this.pending.delete(tracked));
    this.pending.add(tracked);
  }

  /** Resolves once every tracked write and refresh has settled. Handlers call it before returning. */
  async settle(): Promise<void> {
    while (this.pending.size > 0) {
      await Promise.all([...this.pending]);
    }
  }

  /** Number of tracked writes and refreshes still running. */
  get pendingCount(): number {
    return this.pending.size;
  }

  /** Closes the L2 connection. */
  async close(): Promise<void> {
    await this.settle();
    await this.l2?.close();
  }

  private async loadAcrossInstances<T>(key: string, loader: () => Promise<T>, decide: WriteDecision<T>, options: LoadOptions): Promise<LoadResult<T>> {
    if (this.l2 === undefined) {
      return this.loadAndStore(loader, decide);
    }

    const lockKey = `${key}:lock`;
    const lock = await this.l2.acquireLock(lockKey, Math.min(this.lockTtlMs, options.maxWaitMs));
    if (lock.status === 'unavailable') {
      return this.loadAndStore(loader, decide);
    }
    if (lock.status === 'held') {
      const waited = await this.waitForValue<T>(key, lockKey, options.maxWaitMs);
      if (waited !== undefined) {
        return { value: waited, shared: true };
      }
      return this.loadAndStore(loader, decide);
    }

    const release = (): Promise<void> => this.l2!.releaseLock(lockKey, lock.token);
    if (!options.force) {
      const again = await this.get<T>(key);
      if (again !== undefined && !again.stale) {
        this.track(release());
        return { value: again.value, shared: true };
      }
    }
    return this.loadAndStore(loader, decide, release);
  }

  /**
   * Loads a value and starts its write. L1 is written before this returns. The L2 write and
   * then `afterWrite` (the lock release) run on, tracked, so waiting instances find the value
   * as soon as the lock is gone. `afterWrite` also runs when the load fails.
   */
  private async loadAndStore<T>(loader: () => Promise<T>, decide: WriteDecision<T>, afterWrite?: () => Promise<void>): Promise<LoadResult<T>> {
    let value: T;
    let started: { outcome: CacheWriteOutcome; written: Promise<void> };
    try {
      value = await loader();
      const write = decide(value);
      started = write === undefined ? { outcome: 'not_cacheable', written: Promise.resolve() } : this.store(write.key, value, write.options);
    } catch (error) {
      // A failed load or a value that cannot be stored must not hold the lock until it expires.
      if (afterWrite !== undefined) {
        this.track(afterWrite());
      }
      throw error;
    }

    this.track(started.written.finally(() => afterWrite?.()));
    return { value, shared: false, writeOutcome: started.outcome };
  }

  /**
   * Polls L2 for a value that another instance is loading, for at most `maxWaitMs`. It stops
   * early when the lock is gone without a value (the holder stored nothing) or L2 fails.
   */
  private async waitForValue<T>(key: string, lockKey: string, maxWaitMs: number): Promise<T | undefined> {
    const deadline = performance.now() + Math.min(maxWaitMs, this.lockTtlMs);
    while (performance.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, LOCK_POLL_INTERVAL_MS).unref());
      const found = await this.get<T>(key);
      if (found !== undefined && !found.stale) {
        return found.value;
      }
      if ((await this.l2?.get(lockKey)) === undefined) {
        return undefined;
      }
    }
    return undefined;
  }

  private async readL2<T>(key: string): Promise<{ entry: StoredEntry<T>; sizeBytes: number } | undefined> {
    const bytes = await this.l2?.get(key);
    if (bytes === undefined) {
      return undefined;
    }
    const decoded = decodeEntry<T>(bytes);
    if (decoded === undefined || decoded.entry.staleUntilMs <= this.now()) {
      return undefined;
    }
    return { entry: decoded.entry, sizeBytes: decoded.jsonBytes };
  }

  private toLookup<T>(entry: StoredEntry<T>, tier: CacheTier): CacheLookup<T> {
    const now = this.now();
    return { value: entry.value, tier, ageMs: now - entry.storedAtMs, stale: now >= entry.freshUntilMs };
  }
}
