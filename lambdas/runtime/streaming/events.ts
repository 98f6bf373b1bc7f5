import type { CacheReport, QueryOutcome } from '../query/query-outcome';
import type { QueryMethod } from '../request/query-request';

/** First event of every stream, written before any lookup. */
export interface StartEvent {
  readonly type: 'start';
  readonly requestId: string;
  readonly queries: number;
}

/** A query that returned a result. */
export interface ResultEvent {
  readonly type: 'result';
  readonly id: string;
  readonly index: number;
  readonly server: string;
  readonly method: QueryMethod;
  readonly cache: Omit<CacheReport, 'lookupMs'>;
  readonly durationMs: number;
  readonly result: unknown;
}

/** One failed query, or with no `id`, a failure of the request after the stream began. */
export interface ErrorEvent {
  readonly type: 'error';
  readonly id?: string;
  readonly index?: number;
  readonly server?: string;
  readonly method?: QueryMethod;
  readonly cache?: Omit<CacheReport, 'lookupMs'>;
  readonly durationMs?: number;
  readonly error: { readonly code: string; readonly message: string; readonly data?: unknown };
}

/** Figures of the whole request, in the `end` event and the buffered API response. */
export interface RequestSummary {
  readonly queries: number;
  readonly results: number;
  readonly errors: number;
  readonly hits: number;
  readonly misses: number;
  /** MCP calls made; identical cacheable queries share one. */
  readonly upstreamCalls: number;
  readonly durationMs: number;
  /** Sum of cache lookup times, in ms. */
  readonly cacheMs: number;
  /** Sum of the times of the upstream calls made, in ms. */
  readonly upstreamMs: number;
}

/** Last event of every stream. */
export interface EndEvent {
  readonly type: 'end';
  readonly summary: RequestSummary;
}

export type StreamEvent = StartEvent | ResultEvent | ErrorEvent | EndEvent;

/** Rounds a duration to a tenth of a millisecond: finer digits are noise in a response. */
export function roundMs(durationMs: number): number {
  return Math.round(durationMs * 10) / 10;
}

/** Builds the `result` or `error` event of one query outcome. */
export function toQueryEvent(outcome: QueryOutcome): ResultEvent | ErrorEvent {
  const { lookupMs: _lookupMs, ...cache } = outcome.cache;
  const common = {
    id: outcome.id,
    index: outcome.index,
    server: outcome.server,
    method: outcome.method,
    cache: cache.ageMs === undefined ? cache : { ...cache, ageMs: Math.round(cache.ageMs) },
    durationMs: roundMs(outcome.durationMs),
  };
  if (outcome.error !== undefined) {
    return { type: 'error', ...common, error: outcome.error };
  }
  return { type: 'result', ...common, result: outcome.result };
}

/** Adds up the outcomes of a request. */
export function summarize(outcomes: readonly QueryOutcome[], durationMs: number): RequestSummary {
  const errors = outcomes.filter((outcome) => outcome.error !== undefined).length;
  return {
    queries: outcomes.length,
    results: outcomes.length - errors,
    errors,
    hits: outcomes.filter((outcome) => outcome.cache.status === 'hit').length,
    misses: outcomes.filter((outcome) => outcome.cache.status === 'miss').length,
    upstreamCalls: outcomes.filter((outcome) => outcome.upstream !== undefined && !outcome.upstream.shared).length,
    durationMs: roundMs(durationMs),
    cacheMs: roundMs(outcomes.reduce((sum, outcome) => sum + (outcome.cache.lookupMs ?? 0), 0)),
    upstreamMs: roundMs(
      outcomes.reduce((sum, outcome) => sum + (outcome.upstream !== undefined && !outcome.upstream.shared ? outcome.upstream.durationMs : 0), 0),
    ),
  };
}

/** Encodes one event as an NDJSON line. */
export function toNdjsonLine(event: StreamEvent): string {
  return `${JSON.stringify(event)}\n`;
}
