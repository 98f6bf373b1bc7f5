import type { CacheTier } from '../cache/hybrid-cache';
import type { QueryErrorCode } from '../mcp/upstream-error';
import type { QueryMethod } from '../request/query-request';

/**
 * Cache status of one query. `hit`: served fresh from a tier. `stale`: served past its TTL,
 * within its grace period, while one refresh runs. `miss`: fetched, and stored where allowed.
 * `bypass`: fetched without a lookup, because the caller requested it or the tool is not cacheable.
 */
export type CacheStatus = 'hit' | 'stale' | 'miss' | 'bypass';

/** Cache report of one query. */
export interface CacheReport {
  readonly status: CacheStatus;
  /** Tier that served a hit. */
  readonly tier?: CacheTier;
  /** Age of a hit, in ms. */
  readonly ageMs?: number;
  /** Time of the lookup, in ms; absent when no lookup was made. */
  readonly lookupMs?: number;
  /** Reason the result was not looked up or not stored. */
  readonly reason?: 'requested' | 'not_cacheable' | 'too_large' | 'error_result' | 'server_hint' | 'private_without_caller';
}

/** Upstream report of one query. */
export interface UpstreamReport {
  /** Time of the MCP call, in ms. */
  readonly durationMs: number;
  /** True when this query joined an identical call already in flight instead of making its own. */
  readonly shared: boolean;
}

/** Everything that happened to one query: the event that the stream, the API and the metrics read. */
export interface QueryOutcome {
  readonly id: string;
  readonly index: number;
  readonly server: string;
  readonly method: QueryMethod;
  readonly cache: CacheReport;
  readonly upstream?: UpstreamReport;
  /** Time from the start of the request's work on this query to its outcome, in ms. */
  readonly durationMs: number;
  /** The MCP result, exactly as the server sent it. Absent on error. */
  readonly result?: unknown;
  readonly error?: { readonly code: QueryErrorCode; readonly message: string; readonly data?: unknown };
}
