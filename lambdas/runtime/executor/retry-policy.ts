import { sleep } from './abort';

/**
 * Attempts of one read-only upstream call, the first included, when transient network errors
 * keep failing it. Three attempts ride out a restarting server or a dropped connection
 * without tripling the load on a server that is down.
 */
export const DEFAULT_MAX_ATTEMPTS = 3;

/** Backoff ceiling before the second attempt, in ms; it doubles for each later one, with full jitter. */
export const DEFAULT_BASE_BACKOFF_MS = 100;

/** Options of a retried call. */
export interface RetryOptions {
  /** Whether the call may run again: only read-only calls are retried. */
  readonly retryable: boolean;
  /** Tells whether an error is transient, such as a refused or reset connection. */
  readonly isTransient: (error: unknown) => boolean;
  /** Time by which every attempt must have started, in `performance.now()` ms; a retry that cannot start by then is not made. */
  readonly deadlineAt?: number;
  /** Ends a backoff wait early. */
  readonly signal?: AbortSignal;
  /** @default DEFAULT_MAX_ATTEMPTS */
  readonly maxAttempts?: number;
  /** @default DEFAULT_BASE_BACKOFF_MS */
  readonly baseBackoffMs?: number;
  /** Called before each retry, for logs. */
  readonly onRetry?: (attempt: number, backoffMs: number, error: unknown) => void;
  /** @default Math.random */
  readonly random?: () => number;
}

/**
 * Runs `attempt` and retries it after a transient error, with exponential backoff and full
 * jitter (a random wait between 0 and the ceiling, so retries of many callers spread out).
 * Anything else, and any call that is not retryable, fails at the first error.
 */
export async function withRetries<T>(attempt: () => Promise<T>, options: RetryOptions): Promise<T> {
  const maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  const baseBackoffMs = options.baseBackoffMs ?? DEFAULT_BASE_BACKOFF_MS;
  const random = options.random ?? Math.random;

  for (let attemptNumber = 1; ; attemptNumber += 1) {
    try {
      return await attempt();
    } catch (error) {
      const backoffMs = Math.round(random() * baseBackoffMs * 2 ** (attemptNumber - 1));
      const startsInTime = options.deadlineAt === undefined || performance.now() + backoffMs < options.deadlineAt;
      const retry = options.retryable && attemptNumber < maxAttempts && options.isTransient(error) && startsInTime && options.signal?.aborted !== true;
      if (!retry) {
        throw error;
      }
      options.onRetry?.(attemptNumber + 1, backoffMs, error);
      await sleep(backoffMs, options.signal);
    }
  }
}
