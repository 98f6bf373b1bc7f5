import { isPrivateResult, writeOptionsFor } from '../cache/cache-policy';
import type { CacheLookup, HybridCache, LoadResult, WriteDecision } from '../cache/hybrid-cache';
import { raceAbort } from '../executor/abort';
import { ParallelExecutor } from '../executor/parallel-executor';
import { RequestDeadline } from '../executor/request-deadline';
import { withRetries } from '../executor/retry-policy';
import { UpstreamLimits } from '../executor/upstream-limits';
import { logger } from '../logger';
import type { McpClientPool } from '../mcp/client-pool';
import { classifyUpstreamError, isNetworkFailure, QueryError } from '../mcp/upstream-error';
import type { Query, QueryRequest } from '../request/query-request';
import type { CacheReport, QueryOutcome } from './query-outcome';
import type { PlannedQuery, QueryPlanner } from './query-planner';

/** Collaborators of the query runner, created once per execution environment. */
export interface QueryRunnerDependencies {
  readonly planner: QueryPlanner;
  readonly cache: HybridCache;
  readonly clients: McpClientPool;
  /** Concurrency limits shared by every request of the execution environment. @default - new limits of their defaults */
  readonly limits?: UpstreamLimits;
}

/** Options of one run. */
export interface RunOptions {
  /** Called once per query, in completion order, as soon as its outcome is known. */
  readonly onOutcome: (outcome: QueryOutcome) => void;
  /**
   * Ends every pending query, for example when the client disconnects: each ends as an error
   * whose code comes from the signal's reason (a QueryError), or `aborted`.
   */
  readonly signal?: AbortSignal;
  /**
   * Time by which every query must have ended, in `performance.now()` ms; queries still
   * pending then end as `deadline_exceeded` errors and the run resolves.
   * @default - no deadline: each query ends by its own timeout
   */
  readonly deadlineAt?: number;
  /** Identity of the caller (an IAM ARN), which keeps private results to their caller. */
  readonly caller?: string;
}

/**
 * Runs the queries of one request: cache lookups first, every hit reported before any
 * upstream call is awaited, then misses through the parallel executor, each outcome
 * reported the moment it is known. Identical cacheable misses, in this request, in concurrent
 * ones or on other instances, share one upstream call. Read-only misses that fail on the
 * network are retried with backoff within the deadline. Writes to the cache do not delay the
 * outcomes: `HybridCache.settle` waits for them.
 */
export class QueryRunner {
  private readonly log = logger.createChild({ persistentKeys: { component: 'query-runner' } });
  private readonly limits: UpstreamLimits;

  constructor(private readonly dependencies: QueryRunnerDependencies) {
    this.limits = dependencies.limits ?? new UpstreamLimits();
  }

  /**
   * Runs every query of `request` and resolves their outcomes in input order, one per query,
   * by the deadline at the latest.
   */
  async run(request: QueryRequest, options: RunOptions): Promise<QueryOutcome[]> {
    const startedAt = performance.now();
    const outcomes: QueryOutcome[] = new Array(request.queries.length);
    let open = true;
    const report = (outcome: QueryOutcome): void => {
      // After the deadline, late outcomes are dropped: each query has one outcome, already reported.
      if (!open || outcomes[outcome.index] !== undefined) {
        return;
      }
      outcomes[outcome.index] = outcome;
      options.onOutcome(outcome);
    };

    const deadline = new RequestDeadline(options.deadlineAt, options.signal);
    const work = this.runQueries(request, options, deadline, startedAt, report);
    try {
      await raceAbort(work, deadline.signal);
    } catch (error) {
      if (!deadline.signal.aborted) {
        throw error;
      }
      work.catch((late: unknown) => this.log.warn('Query work failed after the request ended', { error: late }));
    } finally {
      deadline.dispose();
    }

    if (deadline.signal.aborted) {
      for (const query of request.queries) {
        report(endedOutcome(query, deadline.signal.reason, performance.now() - startedAt));
      }
    }
    open = false;
    return outcomes;
  }

  private async runQueries(request: QueryRequest, options: RunOptions, deadline: RequestDeadline, startedAt: number, report: (outcome: QueryOutcome) => void): Promise<void> {
    const planned = await Promise.all(request.queries.map((query) => this.dependencies.planner.plan(query, options.caller)));

    const misses: { item: PlannedQuery; cache: CacheReport }[] = [];
    await Promise.all(
      planned.map(async (item) => {
        const lookup = await this.lookUp(item, startedAt, deadline.signal);
        if (lookup.outcome !== undefined) {
          report(lookup.outcome);
        } else {
          misses.push({ item, cache: lookup.cache });
        }
      }),
    );

    const executor = new ParallelExecutor({ concurrency: request.concurrency, limits: this.limits, signal: deadline.signal });
    await Promise.all(misses.map(async ({ item, cache }) => report(await this.fetch(item, cache, executor, startedAt, deadline))));
  }

  /** Looks a query up, serves a stale value while one refresh runs, or explains why no lookup was made. */
  private async lookUp(item: PlannedQuery, startedAt: number, signal?: AbortSignal): Promise<{ outcome?: QueryOutcome; cache: CacheReport }> {
    const { query, policy } = item;
    if (!policy.cacheable) {
      const cache: CacheReport = { status: 'bypass', reason: 'not_cacheable' };
      if (query.cache === 'only-if-cached') {
        // Nothing is ever cached for this query, and calling it could have side effects.
        const error = { code: 'not_cached' as const, message: 'The query is not cacheable, and it set cache "only-if-cached".' };
        return { cache, outcome: { ...describe(item), cache, durationMs: performance.now() - startedAt, error } };
      }
      return { cache };
    }
    if (query.cache === 'bypass') {
      return { cache: { status: 'bypass', reason: 'requested' } };
    }
    if (query.cache === 'refresh') {
      return { cache: { status: 'miss' } };
    }

    const lookupStartedAt = performance.now();
    const hit = await this.find(item);
    const lookupMs = performance.now() - lookupStartedAt;

    if (hit !== undefined) {
      const cache: CacheReport = { status: hit.found.stale ? 'stale' : 'hit', tier: hit.found.tier, ageMs: hit.found.ageMs, lookupMs };
      if (hit.found.stale) {
        this.dependencies.cache.refresh(hit.key, () => this.callUpstream(item, signal), this.decideWrite(item), { maxWaitMs: query.timeoutMs });
      }
      return { cache, outcome: { ...describe(item), cache, durationMs: performance.now() - startedAt, result: hit.found.value } };
    }

    const cache: CacheReport = { status: 'miss', lookupMs };
    if (query.cache === 'only-if-cached') {
      const error = { code: 'not_cached' as const, message: 'No cached result, and the query set cache "only-if-cached".' };
      return { cache, outcome: { ...describe(item), cache, durationMs: performance.now() - startedAt, error } };
    }
    return { cache };
  }

  /** Reads the shared key, then the caller's partition, where private results live. */
  private async find(item: PlannedQuery): Promise<{ key: string; found: CacheLookup } | undefined> {
    for (const key of [item.sharedKey, item.partitionKey]) {
      if (key === undefined) {
        continue;
      }
      const found = await this.dependencies.cache.get(key).catch((error: unknown) => {
        // A failing cache must not fail the query: the lookup counts as a miss.
        this.log.warn('Cache lookup failed', { server: item.query.server, error });
        return undefined;
      });
      if (found !== undefined) {
        return { key, found };
      }
    }
    return undefined;
  }

  /** Calls the upstream for a miss, has its result stored where the policy allows, and reports the outcome. */
  private async fetch(item: PlannedQuery, cache: CacheReport, executor: ParallelExecutor, startedAt: number, deadline: RequestDeadline): Promise<QueryOutcome> {
    const { query } = item;
    const callStartedAt = performance.now();
    // Read-only: list methods, resources/read, prompts/get and tools the cache policy may cache.
    const readOnly = item.policy.cacheable;
    // Upstream time starts when a concurrency slot is granted, so time spent queued is not
    // reported as the server's slowness.
    let callRunningAt: number | undefined;
    const upstreamMs = (): number => performance.now() - (callRunningAt ?? callStartedAt);
    const call = (): Promise<unknown> => {
      callRunningAt ??= performance.now();
      return this.callUpstream(item, deadline.signal);
    };
    const loader = (): Promise<unknown> =>
      withRetries(() => executor.run(query.server, call), {
        retryable: readOnly,
        isTransient: isNetworkFailure,
        deadlineAt: deadline.deadlineAt,
        signal: deadline.signal,
        onRetry: (attempt, backoffMs, error) =>
          this.log.info('Retrying a read-only query after a network error', { queryId: query.id, server: query.server, method: query.method, attempt, backoffMs, error }),
      });
    const loadKey = item.sharedKey ?? item.partitionKey;

    let loaded: LoadResult<unknown>;
    try {
      // Only cacheable queries share a call: a tool with side effects runs once per query.
      if (cache.status === 'bypass' || loadKey === undefined) {
        loaded = { value: await loader(), shared: false };
      } else {
        const loadOptions = { maxWaitMs: query.timeoutMs, force: query.cache === 'refresh' };
        loaded = await this.dependencies.cache.load(loadKey, loader, this.decideWrite(item), loadOptions);
        if (loaded.shared && isPrivateResult(loaded.value) && loadKey !== item.partitionKey) {
          // Another caller's in-flight call returned a private result: it is theirs alone.
          loaded =
            item.partitionKey === undefined
              ? { value: await loader(), shared: false, writeOutcome: 'not_cacheable' }
              : await this.dependencies.cache.load(item.partitionKey, loader, this.decideWrite(item), loadOptions);
        }
      }
    } catch (error) {
      const failure = classifyUpstreamError(error, query.server, query.timeoutMs);
      this.log.warn('Query failed', { queryId: query.id, server: query.server, method: query.method, code: failure.code, error: failure.message });
      const report: CacheReport = failure.code === 'tool_error' ? { ...cache, status: 'bypass', reason: 'error_result' } : cache;
      return {
        ...describe(item),
        cache: report,
        upstream: { durationMs: upstreamMs(), shared: false },
        durationMs: performance.now() - startedAt,
        error: { code: failure.code, message: failure.message, data: failure.data },
      };
    }

    return {
      ...describe(item),
      cache: reportWrite(cache, item, loaded),
      upstream: { durationMs: upstreamMs(), shared: loaded.shared },
      durationMs: performance.now() - startedAt,
      result: loaded.value,
    };
  }

  /** Builds the decision of where and how long a loaded result is stored. */
  private decideWrite(item: PlannedQuery): WriteDecision<unknown> {
    return (value) => {
      if (item.query.cache === 'bypass') {
        return undefined;
      }
      const options = writeOptionsFor(item.policy, value);
      if (options === undefined) {
        return undefined;
      }
      const key = isPrivateResult(value) || item.server.cache.partitionByCaller ? item.partitionKey : item.sharedKey;
      return key === undefined ? undefined : { key, options };
    };
  }

  private async callUpstream(item: PlannedQuery, signal?: AbortSignal): Promise<unknown> {
    const { query } = item;
    const result = await this.dependencies.clients.call(query.server, query.method, query.params, {
      timeoutMs: query.timeoutMs,
      signal,
      readOnly: item.policy.cacheable,
    });
    if (query.method === 'tools/call' && isToolError(result)) {
      throw new QueryError('tool_error', `Tool "${String(query.params.name)}" on server "${query.server}" failed: ${toolErrorText(result)}`, {
        data: { result },
      });
    }
    return result;
  }
}

/** Builds the outcome of a query that the deadline or a disconnect ended before it finished. */
function endedOutcome(query: Query, reason: unknown, durationMs: number): QueryOutcome {
  const failure = reason instanceof QueryError ? reason : new QueryError('aborted', `The query was aborted before it finished: ${String(reason)}`, { cause: reason });
  return {
    id: query.id,
    index: query.index,
    server: query.server,
    method: query.method,
    cache: { status: 'miss' },
    durationMs,
    error: { code: failure.code, message: failure.message },
  };
}

function describe(item: PlannedQuery): Pick<QueryOutcome, 'id' | 'index' | 'server' | 'method'> {
  const { query } = item;
  return { id: query.id, index: query.index, server: query.server, method: query.method };
}

/** Updates a miss's cache report with what became of its write. */
function reportWrite(cache: CacheReport, item: PlannedQuery, loaded: LoadResult<unknown>): CacheReport {
  if (cache.status === 'bypass' || loaded.shared || loaded.writeOutcome === 'stored') {
    return cache;
  }
  if (loaded.writeOutcome === 'too_large') {
    return { ...cache, status: 'bypass', reason: 'too_large' };
  }
  if ((isPrivateResult(loaded.value) || item.server.cache.partitionByCaller) && item.partitionKey === undefined) {
    return { ...cache, status: 'bypass', reason: 'private_without_caller' };
  }
  return { ...cache, status: 'bypass', reason: 'server_hint' };
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
