import { randomUUID } from 'node:crypto';

import type { RedisClient } from './redis-client';
import { L2Guard } from './l2-guard';

/** Deletes a lock only if it still holds this caller's token, so a late caller never frees another's lock. */
const RELEASE_LOCK_SCRIPT = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;

/** Result of a lock attempt. */
export type LockAttempt = { readonly status: 'acquired'; readonly token: string } | { readonly status: 'held' } | { readonly status: 'unavailable' };

/**
 * The L2 tier on ElastiCache (or any Redis). Every call goes through the guard, so each
 * method resolves within its budget and never rejects: a failure gives the fallback shown
 * in its doc.
 */
export class L2Cache {
  private connecting: Promise<void> | undefined;

  constructor(
    private readonly client: RedisClient,
    readonly guard: L2Guard = new L2Guard(),
  ) {
    // ioredis emits connection errors as events. Without a listener Node would crash;
    // the guard already records each failed call, so the event is only drained here.
    client.on('error', () => undefined);
  }

  /** Reads a value. Resolves undefined on a miss or a failure. */
  get(key: string): Promise<Buffer | undefined> {
    return this.guard.run('get', async () => (await this.ready().then(() => this.client.getBuffer(key))) ?? undefined, undefined);
  }

  /** Stores a value for `ttlMs`. Resolves false on a failure. */
  set(key: string, value: Buffer, ttlMs: number): Promise<boolean> {
    return this.guard.run(
      'set',
      async () => {
        await this.ready();
        await this.client.set(key, value, 'PX', Math.max(1, Math.round(ttlMs)));
        return true;
      },
      false,
    );
  }

  /**
   * Takes a short lock with `SET NX PX`. Resolves `acquired` with its token, `held` when another
   * caller has it, or `unavailable` when L2 cannot be asked, so the caller can tell waiting
   * for another instance from having no lock service at all.
   */
  acquireLock(key: string, ttlMs: number): Promise<LockAttempt> {
    const token = randomUUID();
    return this.guard.run<LockAttempt>(
      'lock',
      async () => {
        await this.ready();
        const reply = await this.client.set(key, token, 'PX', Math.max(1, Math.round(ttlMs)), 'NX');
        return reply === 'OK' ? { status: 'acquired', token } : { status: 'held' };
      },
      { status: 'unavailable' },
    );
  }

  /** Releases a lock taken with `token`. A failure leaves it to expire. */
  async releaseLock(key: string, token: string): Promise<void> {
    await this.guard.run(
      'unlock',
      async () => {
        await this.ready();
        await this.client.eval(RELEASE_LOCK_SCRIPT, 1, key, token);
      },
      undefined,
    );
  }

  /**
   * Reads counters in one round trip; a missing counter reads as 0. Resolves undefined on a
   * failure. In cluster mode the keys must share a hash tag, because MGET stays in one slot.
   */
  readCounters(keys: readonly string[]): Promise<number[] | undefined> {
    return this.guard.run(
      'generation',
      async () => {
        await this.ready();
        const values = await this.client.mget(...keys);
        return values.map((value) => (value === null ? 0 : Number(value)));
      },
      undefined,
    );
  }

  /** Increments a counter. Resolves its new value, or undefined on a failure. */
  increment(key: string): Promise<number | undefined> {
    return this.guard.run(
      'invalidate',
      async () => {
        await this.ready();
        return this.client.incr(key);
      },
      undefined,
    );
  }

  /** Sends PING. Resolves its round-trip time in ms, or undefined on a failure. */
  ping(): Promise<number | undefined> {
    return this.guard.run(
      'ping',
      async () => {
        await this.ready();
        const startedAt = performance.now();
        await this.client.ping();
        return performance.now() - startedAt;
      },
      undefined,
    );
  }

  /** Closes the connection. */
  async close(): Promise<void> {
    this.client.disconnect();
  }

  /**
   * Resolves once the connection is ready, connecting on first use; concurrent callers share
   * that first connection. While ioredis reconnects on its own, this fails at once: the offline
   * queue is off, and the breaker then skips L2 until a probe finds it ready again.
   */
  private ready(): Promise<void> {
    if (this.client.status === 'ready') {
      return Promise.resolve();
    }
    if (this.connecting !== undefined) {
      return this.connecting;
    }
    if (this.client.status === 'wait' || this.client.status === 'end') {
      this.connecting = this.client.connect().finally(() => {
        this.connecting = undefined;
      });
      return this.connecting;
    }
    return Promise.reject(new Error(`the L2 connection is ${this.client.status}`));
  }
}
