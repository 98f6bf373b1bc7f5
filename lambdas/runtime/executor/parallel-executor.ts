import { Semaphore, type Release } from './semaphore';
import { UpstreamLimits } from './upstream-limits';

/** Options of one request's executor. */
export interface ParallelExecutorOptions {
  /** Upstream calls of this request in flight at once. */
  readonly concurrency: number;
  /** Limits shared with the other requests of this execution environment. @default - new limits of their defaults */
  readonly limits?: UpstreamLimits;
  /** Ends every wait for a slot, for example at the request's deadline or when the client leaves. */
  readonly signal?: AbortSignal;
}

/**
 * Runs the upstream calls of one request under three limits: the request's own
 * `concurrency`, one per server and one over all servers, the last two shared by every
 * request of the execution environment. A call waits for a slot of each, in that order, and
 * stops waiting when the signal aborts.
 */
export class ParallelExecutor {
  readonly concurrency: number;
  private readonly requestSlots: Semaphore;
  private readonly limits: UpstreamLimits;
  private readonly signal?: AbortSignal;

  constructor(options: ParallelExecutorOptions | number) {
    const resolved = typeof options === 'number' ? { concurrency: options } : options;
    if (!Number.isInteger(resolved.concurrency) || resolved.concurrency < 1) {
      throw new RangeError(`concurrency must be a whole number of 1 or more, got ${resolved.concurrency}`);
    }
    this.concurrency = resolved.concurrency;
    this.requestSlots = new Semaphore(resolved.concurrency);
    this.limits = resolved.limits ?? new UpstreamLimits();
    this.signal = resolved.signal;
  }

  /**
   * Runs `task` once a slot of each limit is free.
   * @param server the server that `task` calls, whose limit applies
   * @throws the signal's reason when it aborts before a slot is free
   */
  async run<T>(server: string, task: () => Promise<T>): Promise<T> {
    const releases: Release[] = [];
    try {
      releases.push(await this.requestSlots.acquire(this.signal));
      releases.push(await this.limits.forServer(server).acquire(this.signal));
      releases.push(await this.limits.global.acquire(this.signal));
      return await task();
    } finally {
      // Released in reverse, so the widest limit frees first for the other requests.
      for (const release of releases.reverse()) {
        release();
      }
    }
  }

  /** Number of this request's calls waiting for a request slot. */
  get pendingCount(): number {
    return this.requestSlots.pendingCount;
  }
}
