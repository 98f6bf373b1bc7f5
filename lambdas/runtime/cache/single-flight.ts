/**
 * Shares one call among concurrent callers of the same key in this process: the first
 * caller runs it, the others await the same promise. The key is released when the call
 * settles, so a failure is not remembered.
 *
 * NOTE: written here because the libraries that do this (such as async-cache-dedupe) also
 * bring their own cache and storage, and this runtime already has both.
 */
export class SingleFlight {
  private readonly inFlight = new Map<string, Promise<unknown>>();

  /** Runs `call` for `key`, or joins the run already in flight. `shared` is true for joiners. */
  async run<T>(key: string, call: () => Promise<T>): Promise<{ value: T; shared: boolean }> {
    const pending = this.inFlight.get(key) as Promise<T> | undefined;
    if (pending !== undefined) {
      return { value: await pending, shared: true };
    }

    const started = call().finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, started);
    return { value: await started, shared: false };
  }

  /** Number of keys with a call in flight. */
  get size(): number {
    return this.inFlight.size;
  }
}
