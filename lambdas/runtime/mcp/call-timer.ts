import { QueryError } from './upstream-error';

/** Options of one call's timer. */
export interface CallTimerOptions {
  readonly serverName: string;
  /** Time allowed without a response or a progress notification, in ms. */
  readonly timeoutMs: number;
  /** Time allowed in total, however much progress the server reports, in ms. */
  readonly maxTotalTimeoutMs: number;
  /** A signal from outside (the request's deadline, a client that left) whose reason ends the call. */
  readonly signal?: AbortSignal;
}

/**
 * The timeouts of one upstream call, enforced with our own timers and one abort signal,
 * because the SDK's maximum total timeout is only checked when a progress notification
 * arrives. The signal aborts with a typed error, so a timeout, a deadline and a client that
 * left each keep their own code.
 */
export class CallTimer {
  readonly maxTotalTimeoutMs: number;
  private readonly controller = new AbortController();
  private idleTimer: NodeJS.Timeout | undefined;
  private readonly totalTimer: NodeJS.Timeout;
  private readonly detach: () => void;

  constructor(private readonly options: CallTimerOptions) {
    this.maxTotalTimeoutMs = options.maxTotalTimeoutMs;
    this.idleTimer = setTimeout(() => this.abortIdle(), options.timeoutMs);
    this.totalTimer = setTimeout(() => {
      this.controller.abort(
        new QueryError(
          'upstream_timeout',
          `Server "${options.serverName}" did not finish within the maximum of ${options.maxTotalTimeoutMs} ms, although it reported progress.`,
        ),
      );
    }, options.maxTotalTimeoutMs);
    // Cleared the moment the call ends for any reason, not when its promise settles a few ticks
    // later, so that a handler that returns at its deadline leaves no timer behind.
    this.controller.signal.addEventListener('abort', () => this.clearTimers(), { once: true });

    const outer = options.signal;
    const onOuterAbort = (): void => this.controller.abort(outer!.reason);
    if (outer?.aborted) {
      onOuterAbort();
    }
    outer?.addEventListener('abort', onOuterAbort, { once: true });
    this.detach = () => outer?.removeEventListener('abort', onOuterAbort);
  }

  /** Signal that aborts with a QueryError whose code gives the reason the call ended. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Starts the timeout again after a progress notification; the total maximum still applies. */
  extend(): void {
    if (this.controller.signal.aborted) {
      return;
    }
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => this.abortIdle(), this.options.timeoutMs);
  }

  /** Clears both timers and detaches from the outer signal. Call it when the call settles. */
  dispose(): void {
    this.clearTimers();
    this.detach();
  }

  private clearTimers(): void {
    clearTimeout(this.idleTimer);
    clearTimeout(this.totalTimer);
  }

  private abortIdle(): void {
    this.controller.abort(new QueryError('upstream_timeout', `Server "${this.options.serverName}" did not respond within ${this.options.timeoutMs} ms.`));
  }
}
