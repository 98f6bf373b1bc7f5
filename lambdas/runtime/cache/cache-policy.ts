import type { ResolvedServer } from '../config/server-config';
import type { Query } from '../request/query-request';
import type { CacheWriteOptions } from './hybrid-cache';

/** Longest TTL honoured from a server's `ttlMs` hint, in ms (one day), so a server cannot pin an entry. */
export const MAX_HINTED_TTL_MS = 86_400_000;

/** Cache policy of one query, before its result is known. */
export interface CachePolicy {
  /** Whether the result may be stored and served again. */
  readonly cacheable: boolean;
  /** Time to live of a stored result before jitter, in ms. */
  readonly ttlMs: number;
  /** Grace period after the TTL, in ms. */
  readonly graceMs: number;
  /** Fraction by which the TTL is shortened at random. */
  readonly jitterRatio: number;
}

/**
 * Decides whether a query's result may be cached, and for how long. List methods,
 * `resources/read` and `prompts/get` read state, so they are cached. `tools/call` is cached
 * only for tools in the server's `cacheableTools`, or annotated `readOnlyHint: true` by a
 * server whose config trusts that hint, because any other tool may have side effects that a
 * cached result would skip.
 * @param readOnlyHint the tool's `readOnlyHint` annotation, where it is known
 */
export function cachePolicyFor(query: Query, server: ResolvedServer, readOnlyHint?: boolean): CachePolicy {
  const { cache } = server;
  const toolName = query.method === 'tools/call' && typeof query.params.name === 'string' ? query.params.name : undefined;
  const ttlSeconds = (toolName !== undefined ? cache.toolTtlSeconds[toolName] : undefined) ?? cache.methodTtlSeconds[query.method] ?? cache.ttlSeconds;
  const policy = { ttlMs: ttlSeconds * 1000, graceMs: cache.graceSeconds * 1000, jitterRatio: cache.jitterRatio };

  if (query.method !== 'tools/call') {
    return { ...policy, cacheable: true };
  }
  const allowListed = toolName !== undefined && cache.cacheableTools.includes(toolName);
  const trustedReadOnly = cache.trustReadOnlyHint && readOnlyHint === true;
  return { ...policy, cacheable: allowListed || trustedReadOnly };
}

/** Shortens a TTL by a random fraction of at most `jitterRatio`, so entries stored together expire apart. */
export function applyJitter(ttlMs: number, jitterRatio: number, random: () => number = Math.random): number {
  return Math.max(1, Math.round(ttlMs * (1 - jitterRatio * random())));
}

/** Freshness hints that a 2026-07-28 server puts on cacheable results. */
interface CacheHints {
  readonly ttlMs?: unknown;
  readonly cacheScope?: unknown;
  readonly isError?: unknown;
}

/** Tells whether a result must be kept to its caller: the server marked it `cacheScope: "private"`. */
export function isPrivateResult(result: unknown): boolean {
  return typeof result === 'object' && result !== null && (result as CacheHints).cacheScope === 'private';
}

/**
 * Decides how long a result is stored, or returns undefined to store nothing. An `isError`
 * result is never stored. A server's `ttlMs` hint replaces the configured TTL, capped at
 * MAX_HINTED_TTL_MS, and a hint of 0 means the result must not be stored.
 */
export function writeOptionsFor(policy: CachePolicy, result: unknown, random: () => number = Math.random): CacheWriteOptions | undefined {
  if (!policy.cacheable || typeof result !== 'object' || result === null) {
    return undefined;
  }
  const hints = result as CacheHints;
  if (hints.isError === true) {
    return undefined;
  }

  let ttlMs = policy.ttlMs;
  if (typeof hints.ttlMs === 'number' && Number.isFinite(hints.ttlMs) && hints.ttlMs >= 0) {
    if (hints.ttlMs === 0) {
      return undefined;
    }
    ttlMs = Math.min(hints.ttlMs, MAX_HINTED_TTL_MS);
  }
  return { ttlMs: applyJitter(ttlMs, policy.jitterRatio, random), graceMs: policy.graceMs };
}
