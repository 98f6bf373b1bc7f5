import { setMaxListeners } from 'node:events';

import { REQUEST_LIMITS } from '../request/query-request';
import { QueryError } from '../mcp/upstream-error';

/**
 * Time kept back from the Lambda's remaining time for the work after the queries: the `end`
 * event, the cache writes (each L2 call has a 50 ms budget) and the EMF flush, in ms.
 * NOTE: an estimate with room to spare, not a figure measured on Lambda.
 */
export const DEADLINE_SAFETY_MARGIN_MS = 1_000;

/** The part of the Lambda context that the deadline reads. */
export interface RemainingTime {
  getRemainingTimeInMillis(): number;
}

/**
 * Returns the request's deadline, in `performance.now()` ms: the Lambda's remaining time
 * minus DEADLINE_SAFETY_MARGIN_MS, so the response ends cleanly before the function times out.
 */
export function deadlineFromContext(context: RemainingTime, marginMs: number = DEADLINE_SAFETY_MARGIN_MS): number {
  return performance.now() + Math.max(0, context.getRemainingTimeInMillis() - marginMs);
}

/**
 * One signal for everything that ends a request's pending work: its deadline, which aborts
 * with a `deadline_exceeded` error, and the caller's own signal (a client that left). Call
 * `dispose` when the request is done, so its timer does not keep the process alive.
 */
export class RequestDeadline {
  readonly signal: AbortSignal;
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout | undefined;
  private readonly detach: () => void;

  constructor(
    readonly deadlineAt: number | undefined,
    outer?: AbortSignal,
  ) {
    this.signal = this.controller.signal;
    // Each query adds a few listeners (waiting for a slot, its call) and a request holds up to
    // REQUEST_LIMITS.maxQueries queries, so Node's default warning above 10 would be noise.
    setMaxListeners(REQUEST_LIMITS.maxQueries * 4, this.signal);
    if (deadlineAt !== undefined) {
      const remainingMs = Math.max(0, deadlineAt - performance.now());
      this.timer = setTimeout(() => {
        this.controller.abort(new QueryError('deadline_exceeded', `The request reached its deadline after ${Math.round(remainingMs)} ms, before this query finished. Send fewer or faster queries per request, or raise the function timeout.`));
      }, remainingMs);
    }

    const onOuterAbort = (): void => this.controller.abort(outer!.reason);
    if (outer?.aborted) {
      onOuterAbort();
    }
    outer?.addEventListener('abort', onOuterAbort, { once: true });
    this.detach = () => outer?.removeEventListener('abort', onOuterAbort);
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.detach();
  }
}
