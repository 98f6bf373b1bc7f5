import type { L2Cache } from './l2/l2-cache';
import { SingleFlight } from './single-flight';

/**
 * Time this process trusts a generation it read, in ms. An invalidation on another instance
 * reaches this one's keys within this time.
 */
export const GENERATION_CACHE_TTL_MS = 1_000;

/** Scope of an invalidation: a whole server, one method of it, or one tool. */
export interface InvalidationScope {
  readonly server: string;
  readonly method?: string;
  readonly tool?: string;
}

/** Options of the generation counters. */
export interface GenerationCountersOptions {
  readonly l2?: L2Cache;
  /** @default GENERATION_CACHE_TTL_MS */
  readonly cacheTtlMs?: number;
  /** @default Date.now */
  readonly now?: () => number;
}

/**
 * Per-server, per-method and per-tool generation counters, part of every cache key. An
 * invalidation increments one counter, which makes every key under it unreachable at once,
 * whatever the number of entries (old entries expire by their TTL). With L2 the counters live
 * there and each process caches them briefly; without L2 they live in this process.
 *
 * NOTE: the counters have no TTL, so an eviction policy of `volatile-*` (the ElastiCache
 * default) never evicts them, but a cache node restarted empty resets them to 0.
 */
export class GenerationCounters {
  private readonly cached = new Map<string, { readonly generation: string; readonly readAtMs: number }>();
  private readonly localCounters = new Map<string, number>();
  /** Last value read from L2 per counter key, used while L2 is failing. */
  private readonly lastRemote = new Map<string, number>();
  private readonly reads = new SingleFlight();
  private readonly cacheTtlMs: number;
  private readonly now: () => number;

  constructor(private readonly options: GenerationCountersOptions = {}) {
    this.cacheTtlMs = options.cacheTtlMs ?? GENERATION_CACHE_TTL_MS;
    this.now = options.now ?? Date.now;
  }

  /** Resolves the generation of a server, method and tool, such as `2.0.1`, for use in a key. */
  async current(server: string, method: string, tool?: string): Promise<string> {
    const keys = counterKeys({ server, method, tool });
    const cacheKey = keys.join('|');
    const cached = this.cached.get(cacheKey);
    if (cached !== undefined && this.now() - cached.readAtMs < this.cacheTtlMs) {
      return cached.generation;
    }

    const { value } = await this.reads.run(cacheKey, () => this.read(keys));
    this.cached.set(cacheKey, { generation: value, readAtMs: this.now() });
    return value;
  }

  /**
   * Increments the counter of a scope. Resolves `propagated: true` when L2 took the increment,
   * so every instance applies it within the cache TTL. Otherwise only this process applies it,
   * and the caller should retry once L2 is back.
   */
  async bump(scope: InvalidationScope): Promise<{ readonly propagated: boolean }> {
    const key = counterKeys(scope).at(-1)!;
    const propagated = this.options.l2 !== undefined && (await this.options.l2.increment(key)) !== undefined;
    if (!propagated) {
      this.localCounters.set(key, (this.localCounters.get(key) ?? 0) + 1);
    }

    // This process applies its own invalidation at once, whatever the cache TTL.
    const serverKey = counterKeys({ server: scope.server })[0];
    for (const cacheKey of [...this.cached.keys()]) {
      if (cacheKey.split('|')[0] === serverKey) {
        this.cached.delete(cacheKey);
      }
    }
    return { propagated };
  }

  private async read(keys: string[]): Promise<string> {
    const remote = this.options.l2 === undefined ? undefined : await this.options.l2.readCounters(keys);
    remote?.forEach((value, index) => this.lastRemote.set(keys[index], value));
    // While L2 is failing, the last values read from it stand in. Local counts are non-zero
    // only after an invalidation that L2 did not take.
    return keys.map((key, index) => (remote?.[index] ?? this.lastRemote.get(key) ?? 0) + (this.localCounters.get(key) ?? 0)).join('.');
  }
}

/**
 * Builds the counter keys of a scope, widest first. The braces are a Redis hash tag, so a
 * server's counters share one cluster slot and one MGET reads them all.
 */
export function counterKeys(scope: InvalidationScope & { readonly method?: string }): string[] {
  const base = `mcpa:gen:{${scope.server}}`;
  const keys = [base];
  if (scope.method !== undefined) {
    keys.push(`${base}:m:${scope.method}`);
  }
  if (scope.tool !== undefined) {
    keys.push(`${base}:t:${scope.tool}`);
  }
  return keys;
}
