/** Releases a slot taken from a semaphore. Calling it more than once has no effect. */
export type Release = () => void;

/**
 * A counting semaphore whose waits can be aborted: a caller that gives up (its deadline came,
 * its client left) leaves the queue at once instead of holding a place in it.
 */
export class Semaphore {
  private active = 0;
  private readonly waiting: { grant: (release: Release) => void }[] = [];

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) {
      throw new RangeError(`A semaphore limit must be a whole number of 1 or more, got ${limit}.`);
    }
  }

  /**
   * Resolves a release function once a slot is free, in arrival order.
   * @throws the signal's reason when it aborts while the caller waits
   */
  acquire(signal?: AbortSignal): Promise<Release> {
    if (signal?.aborted) {
      return Promise.reject(signal.reason);
    }
    if (this.active < this.limit) {
      this.active += 1;
      return Promise.resolve(this.releaser());
    }

    return new Promise<Release>((resolve, reject) => {
      const waiter = {
        grant: (release: Release): void => {
          signal?.removeEventListener('abort', onAbort);
          resolve(release);
        },
      };
      const onAbort = (): void => {
        const position = this.waiting.indexOf(waiter);
        if (position >= 0) {
          this.waiting.splice(position, 1);
        }
        reject(signal!.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(waiter);
    });
  }

  /** Number of slots in use. */
  get activeCount(): number {
    return this.active;
  }

  /** Number of callers waiting for a slot. */
  get pendingCount(): number {
    return this.waiting.length;
  }

  private releaser(): Release {
    let released = false;
    return () => {
      if (released) {
        return;
      }
      released = true;
      const next = this.waiting.shift();
      if (next === undefined) {
        this.active -= 1;
      } else {
        // The slot passes straight to the next caller, so the count stays the same.
        next.grant(this.releaser());
      }
    };
  }
}
