import { sleep } from '../../../lambdas/runtime/executor/abort';
import { ParallelExecutor } from '../../../lambdas/runtime/executor/parallel-executor';
import { RequestDeadline } from '../../../lambdas/runtime/executor/request-deadline';
import { withRetries } from '../../../lambdas/runtime/executor/retry-policy';
import { Semaphore } from '../../../lambdas/runtime/executor/semaphore';
import { UpstreamLimits } from '../../../lambdas/runtime/executor/upstream-limits';
import { QueryError } from '../../../lambdas/runtime/mcp/upstream-error';

/** Runs `count` tasks of `taskMs` each on one server and resolves the largest number in flight at once. */
async function maxInFlight(executor: ParallelExecutor, server: string, count: number, taskMs = 30): Promise<{ peak: number; tasks: Promise<void>[] }> {
  let inFlight = 0;
  let peak = 0;
  const tasks = Array.from({ length: count }, () =>
    executor.run(server, async () => {
      inFlight += 1;
      peak = Math.max(peak, inFlight);
      await sleep(taskMs);
      inFlight -= 1;
    }),
  );
  await Promise.all(tasks);
  return { peak, tasks };
}

describe('Semaphore', () => {
  it('grants slots in arrival order', async () => {
    const semaphore = new Semaphore(1);
    const order: number[] = [];
    const first = await semaphore.acquire();
    const waiters = [1, 2, 3].map((position) => semaphore.acquire().then((release) => {
      order.push(position);
      release();
    }));

    first();
    await Promise.all(waiters);

    expect(order).toEqual([1, 2, 3]);
    expect(semaphore.activeCount).toBe(0);
  });

  it('leaves the queue when the wait is aborted', async () => {
    const semaphore = new Semaphore(1);
    await semaphore.acquire();
    const controller = new AbortController();
    const waiting = semaphore.acquire(controller.signal);

    controller.abort(new Error('gave up'));

    await expect(waiting).rejects.toThrow('gave up');
    expect(semaphore.pendingCount).toBe(0);
  });

  it('ignores a second release', async () => {
    const semaphore = new Semaphore(2);
    const release = await semaphore.acquire();

    release();
    release();

    expect(semaphore.activeCount).toBe(0);
  });

  it.each([0, 1.5, -1])('rejects a limit of %p', (limit) => {
    expect(() => new Semaphore(limit)).toThrow(/whole number of 1 or more/);
  });
});

describe('ParallelExecutor', () => {
  it('keeps a request to its concurrency', async () => {
    const executor = new ParallelExecutor({ concurrency: 3 });

    const { peak } = await maxInFlight(executor, 'a', 10);

    expect(peak).toBe(3);
  });

  it('keeps one server to its shared limit', async () => {
    const executor = new ParallelExecutor({ concurrency: 10, limits: new UpstreamLimits({ perServerConcurrency: 2 }) });

    const { peak } = await maxInFlight(executor, 'a', 6);

    expect(peak).toBe(2);
  });

  it('shares the global limit between requests', async () => {
    const limits = new UpstreamLimits({ globalConcurrency: 3 });
    const first = new ParallelExecutor({ concurrency: 8, limits });
    const second = new ParallelExecutor({ concurrency: 8, limits });
    let inFlight = 0;
    let peak = 0;
    const task = async (): Promise<void> => {
      inFlight += 1;
      peak = Math.max(peak, inFlight);
      await sleep(30);
      inFlight -= 1;
    };

    await Promise.all([...Array.from({ length: 5 }, () => first.run('a', task)), ...Array.from({ length: 5 }, () => second.run('b', task))]);

    expect(peak).toBe(3);
  });

  it('stops a queued call when the signal aborts', async () => {
    const controller = new AbortController();
    const executor = new ParallelExecutor({ concurrency: 1, signal: controller.signal });
    const running = executor.run('a', () => sleep(200));
    const queued = executor.run('a', async () => 'ran');
    await sleep(10);

    controller.abort(new QueryError('deadline_exceeded', 'deadline'));

    await expect(queued).rejects.toMatchObject({ code: 'deadline_exceeded' });
    await running;
  });
});

describe('withRetries', () => {
  const transient = new Error('ECONNRESET');
  const isTransient = (error: unknown): boolean => error === transient;

  it('retries a transient error up to the maximum attempts', async () => {
    let attempts = 0;
    const failing = withRetries(async () => {
      attempts += 1;
      throw transient;
    }, { retryable: true, isTransient, baseBackoffMs: 5 });

    await expect(failing).rejects.toBe(transient);
    expect(attempts).toBe(3);
  });

  it('returns the first success', async () => {
    let attempts = 0;
    const result = await withRetries(async () => {
      attempts += 1;
      if (attempts < 2) {
        throw transient;
      }
      return 'ok';
    }, { retryable: true, isTransient, baseBackoffMs: 5 });

    expect(result).toBe('ok');
    expect(attempts).toBe(2);
  });

  it('never retries a call that is not retryable', async () => {
    let attempts = 0;
    await expect(withRetries(async () => {
      attempts += 1;
      throw transient;
    }, { retryable: false, isTransient })).rejects.toBe(transient);

    expect(attempts).toBe(1);
  });

  it('never retries an error that is not transient', async () => {
    let attempts = 0;
    await expect(withRetries(async () => {
      attempts += 1;
      throw new Error('tool failed');
    }, { retryable: true, isTransient })).rejects.toThrow('tool failed');

    expect(attempts).toBe(1);
  });

  it('makes no retry that cannot start before the deadline', async () => {
    let attempts = 0;
    await expect(withRetries(async () => {
      attempts += 1;
      throw transient;
    }, { retryable: true, isTransient, baseBackoffMs: 1_000, random: () => 1, deadlineAt: performance.now() + 500 })).rejects.toBe(transient);

    expect(attempts).toBe(1);
  });

  it('spreads backoffs with full jitter', async () => {
    const backoffs: number[] = [];
    const randoms = [0.5, 0.25];
    await expect(withRetries(async () => {
      throw transient;
    }, { retryable: true, isTransient, baseBackoffMs: 8, random: () => randoms.shift()!, onRetry: (_attempt, backoffMs) => backoffs.push(backoffMs) })).rejects.toBe(transient);

    // 0.5 of 8 ms before the second attempt, then 0.25 of 16 ms before the third.
    expect(backoffs).toEqual([4, 4]);
  });
});

describe('RequestDeadline', () => {
  it('aborts with deadline_exceeded when the deadline comes', async () => {
    const deadline = new RequestDeadline(performance.now() + 50);

    await sleep(80);

    expect(deadline.signal.aborted).toBe(true);
    expect(deadline.signal.reason).toMatchObject({ code: 'deadline_exceeded' });
    deadline.dispose();
  });

  it('aborts with the outer reason', () => {
    const outer = new AbortController();
    const deadline = new RequestDeadline(undefined, outer.signal);

    outer.abort(new QueryError('aborted', 'client left'));

    expect(deadline.signal.reason).toMatchObject({ code: 'aborted' });
    deadline.dispose();
  });

  it('leaves no timer after dispose', async () => {
    const deadline = new RequestDeadline(performance.now() + 50);

    deadline.dispose();
    await sleep(80);

    expect(deadline.signal.aborted).toBe(false);
  });
});
