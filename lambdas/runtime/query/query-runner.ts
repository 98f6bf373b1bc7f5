import { buildCacheKey } from '../cache/cache-key';
import { cachePolicyFor, type CachePolicy } from '../cache/cache-policy';
import type { ResultCache } from '../cache/result-cache';
import { SingleFlight } from '../cache/single-flight';
import type { ResolvedServer } from '../config/server-config';
import { ParallelExecutor } from '../executor/parallel-executor';
import { logger } from '../logger';
import type { McpClientPool } from '../mcp/client-pool';
import { classifyUpstreamError, QueryError } from '../mcp/upstream-error';
import type { Query, QueryRequest } from '../request/query-request';
import type { CacheReport, QueryOutcome } from './query-outcome';

/** Collaborators of the query runner, created once per execution environment. */
export interface QueryRunnerDependencies {
  readonly servers: ReadonlyMap<string, ResolvedServer>;
  readonly cache: ResultCache;
  readonly clients: McpClientPool;
}

/** Options of one run. */
export interface RunOptions {
  /** Called once per query, in completion order, as soon as its outcome is known. */
  readonly onOutcome: (outcome: QueryOutcome) => void;
  /** Aborts pending upstream calls, for example when the client disconnects. */
  readonly signal?: AbortSignal;
}

interface PlannedQuery {
  readonly query: Query;
  readonly server: ResolvedServer;
  readonly key: string;
  readonly policy: CachePolicy;
}

/**
 * Runs the queries of one request: cache hits first, then misses through the parallel
 * executor, each outcome reported the moment it is known. Identical cacheable misses, in
 * this request or in concurrent ones, share one upstream call.
 */
export class QueryRunner {
  private readonly singleFlight = new SingleFlight();
  private readonly log = logger.createChild({ persistentKeys: { component: 'query-runner' } });

  constructor(private readonly dependencies: QueryRunnerDependencies) {}

  /** Runs every query of `request` and resolves their outcomes in input order. */
  async run(request: QueryRequest, options: RunOptions): Promise<QueryOutcome[]> {
    const startedAt = performance.now();
    const outcomes: QueryOutcome[] = new Array(request.queries.length);
    const report = (outcome: QueryOutcome): void => {
      outcomes[outcome.index] = outcome;
      options.onOutcome(outcome);
    };

    const planned = request.queries.map((query) => this.plan(query));

    // Lookups settle before any upstream call is awaited, so every hit goes out first.
    const misses: { planned: PlannedQuery; cache: CacheReport }[] = [];
    for (const item of planned) {
      const lookup = await this.lookUp(item, startedAt);
      if (lookup.outcome !== undefined) {
        report(lookup.outcome);
      } else {
        misses.push({ planned: item, cache: lookup.cache });
      }
    }

    const executor = new ParallelExecutor(request.concurrency);
    await Promise.all(
      misses.map(async ({ planned: item, cache }) => report(await this.fetch(item, cache, executor, startedAt, options.signal))),
    );
    return outcomes;
  }

  private plan(query: Query): PlannedQuery {
    const server = this.dependencies.servers.get(query.server);
    if (server === undefined) {
      // The request parser rejects unknown servers, so only a bug reaches this line.
      throw new Error(`Server "${query.server}" is not configured`);
    }
    return { query, server, key: buildCacheKey(server, query.method, query.params), policy: cachePolicyFor(query, server) };
  }

  /** Looks a query up in the cache, or explains why no lookup was made. */
  private async lookUp(item: PlannedQuery, startedAt: number): Promise<{ outcome?: QueryOutcome; cache: CacheReport }> {
    const { query, policy } = item;
    if (!policy.cacheable) {
      return { cache: { status: 'bypass', reason: 'not_cacheable' } };
    }
    if (query.cache === 'bypass') {
      return { cache: { status: 'bypass', reason: 'requested' } };
    }
    if (query.cache === 'refresh') {
      return { cache: { status: 'miss' } };
    }

    const lookupStartedAt = performance.now();
    const hit = await this.dependencies.cache.get(item.key).catch((error: unknown) => {
      // A failing cache must not fail the query: the lookup counts as a miss.
      this.log.warn('Cache lookup failed', { server: query.server, error });
      return undefined;
    });
    const lookupMs = performance.now() - lookupStartedAt;
    if (hit !== undefined) {
      const cache: CacheReport = { status: 'hit', tier: hit.tier, ageMs: hit.ageMs, lookupMs };
      return { cache, outcome: { ...this.describe(query), cache, durationMs: performance.now() - startedAt, result: hit.value } };
    }

    const cache: CacheReport = { status: 'miss', lookupMs };
    if (query.cache === 'only-if-cached') {
      const error = { code: 'not_cached' as const, message: 'No cached result, and the query set cache "only-if-cached".' };
      return { cache, outcome: { ...this.describe(query), cache, durationMs: performance.now() - startedAt, error } };
    }
    return { cache };
  }

  /** Calls the upstream for a miss, stores a cacheable result and reports the outcome. */
  private async fetch(
    item: PlannedQuery,
    cache: CacheReport,
    executor: ParallelExecutor,
    startedAt: number,
    signal?: AbortSignal,
  ): Promise<QueryOutcome> {
    const { query, policy } = item;
    const callStartedAt = performance.now();
    const call = (): Promise<unknown> => executor.run(() => this.callUpstream(item, signal));

    let result: unknown;
    let shared = false;
    try {
      // Only cacheable queries share a call: a tool with side effects runs once per query.
      if (policy.cacheable) {
        ({ value: result, shared } = await this.singleFlight.run(item.key, call));
      } else {
        result = await call();
      }
    } catch (error) {
      const failure = classifyUpstreamError(error, query.server, query.timeoutMs);
      this.log.warn('Query failed', { queryId: query.id, server: query.server, method: query.method, code: failure.code, error: failure.message });
      const upstream = { durationMs: performance.now() - callStartedAt, shared };
      const report: CacheReport = failure.code === 'tool_error' ? { ...cache, status: 'bypass', reason: 'error_result' } : cache;
      return {
        ...this.describe(query),
        cache: report,
        upstream,
        durationMs: performance.now() - startedAt,
        error: { code: failure.code, message: failure.message, data: failure.data },
      };
    }

    const upstream = { durationMs: performance.now() - callStartedAt, shared };
    const stored = await this.store(item, cache, result, shared);
    return { ...this.describe(query), cache: stored, upstream, durationMs: performance.now() - startedAt, result };
  }

  private async callUpstream(item: PlannedQuery, signal?: AbortSignal): Promise<unknown> {
    const { query } = item;
    const result = await this.dependencies.clients.call(query.server, query.method, query.params, { timeoutMs: query.timeoutMs, signal });
    if (query.method === 'tools/call' && isToolError(result)) {
      throw new QueryError('tool_error', `Tool "${String(query.params.name)}" on server "${query.server}" failed: ${toolErrorText(result)}`, {
        data: { result },
      });
    }
    return result;
  }

  /** Stores a fetched result where the policy and the mode allow, and returns the updated cache report. */
  private async store(item: PlannedQuery, cache: CacheReport, result: unknown, shared: boolean): Promise<CacheReport> {
    if (cache.status === 'bypass' || shared) {
      // A joiner's result was stored by the query that made the call.
      return cache;
    }
    try {
      const outcome = await this.dependencies.cache.set(item.key, result, item.policy.ttlMs);
      return outcome === 'too_large' ? { ...cache, status: 'bypass', reason: 'too_large' } : cache;
    } catch (error) {
      this.log.warn('Cache write failed', { server: item.query.server, error });
      return cache;
    }
  }

  private describe(query: Query): Pick<QueryOutcome, 'id' | 'index' | 'server' | 'method'> {
    return { id: query.id, index: query.index, server: query.server, method: query.method };
  }
}

interface ToolResultShape {
  readonly isError?: unknown;
  readonly content?: readonly { readonly type?: unknown; readonly text?: unknown }[];
}

function isToolError(result: unknown): boolean {
  return typeof result === 'object' && result !== null && (result as ToolResultShape).isError === true;
}

/** Joins the text blocks of a tool error result, which carry the tool's own message. */
function toolErrorText(result: unknown): string {
  const content = (result as ToolResultShape).content ?? [];
  const text = content
    .filter((block) => block.type === 'text' && typeof block.text === 'string')
    .map((block) => block.text)
    .join(' ');
  return text || 'the tool returned isError without a message';
}
