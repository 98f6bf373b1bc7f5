import { CircuitBreaker } from '../circuit-breaker';

/** Budget of one L2 command, in ms: an in-VPC ElastiCache round trip takes about a millisecond, so this only cuts off a sick cache. */
export const DEFAULT_L2_COMMAND_BUDGET_MS = 50;

/** Operations that go through the guard, named in reports and metrics. */
export type L2Operation = 'get' | 'set' | 'lock' | 'unlock' | 'generation' | 'invalidate' | 'ping';

/** Outcome of one guarded L2 call. */
export type L2CallOutcome = 'ok' | 'timeout' | 'error' | 'skipped';

/** Report of one guarded L2 call, turned into metrics and logs by the caller. */
export interface L2CallReport {
  readonly operation: L2Operation;
  readonly outcome: L2CallOutcome;
  readonly durationMs: number;
  readonly error?: unknown;
}

/** Options of the L2 guard. */
export interface L2GuardOptions {
  /** Breaker fed by every call. @default a CircuitBreaker with its defaults */
  readonly breaker?: CircuitBreaker;
  /** Budget of one call, in ms. @default DEFAULT_L2_COMMAND_BUDGET_MS */
  readonly budgetMs?: number;
  /** Receives a report of every call. */
  readonly onReport?: (report: L2CallReport) => void;
}

/** Raised inside the guard when a call runs past its budget. */
class L2BudgetExceededError extends Error {
  constructor(operation: L2Operation, budgetMs: number) {
    super(`L2 ${operation} took longer than its budget of ${budgetMs} ms`);
    this.name = 'L2BudgetExceededError';
  }
}

/**
 * The one path of every call to the cache cluster. It skips the call while the breaker is
 * open, bounds it by its budget, feeds the breaker, reports the outcome and returns the
 * fallback on any failure. A slow or dead cache thus costs a query at most one budget, and
 * nothing once the breaker is open (test/runtime/cache/l2-chaos.test.ts).
 */
export class L2Guard {
  readonly breaker: CircuitBreaker;
  readonly budgetMs: number;

  constructor(private readonly options: L2GuardOptions = {}) {
    this.breaker = options.breaker ?? new CircuitBreaker();
    this.budgetMs = options.budgetMs ?? DEFAULT_L2_COMMAND_BUDGET_MS;
  }

  /** Runs `call` under the guard and resolves its value, or `fallback` if it was skipped or failed. */
  async run<T>(operation: L2Operation, call: () => Promise<T>, fallback: T): Promise<T> {
    if (!this.breaker.tryAcquire()) {
      this.report({ operation, outcome: 'skipped', durationMs: 0 });
      return fallback;
    }

    const startedAt = performance.now();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new L2BudgetExceededError(operation, this.budgetMs)), this.budgetMs);
      // The timer must not keep a Lambda invocation or a test process alive.
      timer.unref();
    });

    try {
      const value = await Promise.race([call(), deadline]);
      this.breaker.recordSuccess();
      this.report({ operation, outcome: 'ok', durationMs: performance.now() - startedAt });
      return value;
    } catch (error) {
      this.breaker.recordFailure();
      const outcome = error instanceof L2BudgetExceededError ? 'timeout' : 'error';
      this.report({ operation, outcome, durationMs: performance.now() - startedAt, error });
      return fallback;
    } finally {
      clearTimeout(timer);
    }
  }

  private report(report: L2CallReport): void {
    this.options.onReport?.(report);
  }
}
