import type { ResolvedServer } from '../config/server-config';
import type { Query } from '../request/query-request';

/** Cache policy of one query. */
export interface CachePolicy {
  /** Whether the result may be stored and served again. */
  readonly cacheable: boolean;
  /** Time to live of a stored result, in ms. */
  readonly ttlMs: number;
}

/**
 * Decides whether a query's result may be cached. List methods, `resources/read` and
 * `prompts/get` read state, so they are cached. `tools/call` is cached only for tools that
 * the server's config lists in `cacheableTools`, because any other tool may have side
 * effects that a cached result would skip.
 */
export function cachePolicyFor(query: Query, server: ResolvedServer): CachePolicy {
  const ttlMs = server.cache.ttlSeconds * 1000;
  if (query.method !== 'tools/call') {
    return { cacheable: true, ttlMs };
  }

  const toolName = query.params.name;
  const cacheable = typeof toolName === 'string' && server.cache.cacheableTools.includes(toolName);
  return { cacheable, ttlMs };
}
