import pLimit from 'p-limit';

/**
 * Runs the upstream calls of one request with at most `concurrency` in flight, so that a
 * request of many queries cannot open more connections than its upstreams can take.
 */
export class ParallelExecutor {
  private readonly limit: pLimit.Limit;

  constructor(readonly concurrency: number) {
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new RangeError(`concurrency must be a whole number of 1 or more, got ${concurrency}`);
    }
    this.limit = pLimit(concurrency);
  }

  /** Runs `task` once a slot is free. */
  run<T>(task: () => Promise<T>): Promise<T> {
    return this.limit(task);
  }

  /** Number of tasks waiting for a slot. */
  get pendingCount(): number {
    return this.limit.pendingCount;
  }
}
