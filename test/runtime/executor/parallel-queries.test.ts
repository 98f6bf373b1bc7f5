import { resolveServer } from '../../../lambdas/runtime/config/server-config';
import { DEFAULT_MAX_ATTEMPTS } from '../../../lambdas/runtime/executor/retry-policy';
import type { QueryOutcome } from '../../../lambdas/runtime/query/query-outcome';
import { parseQueryRequest } from '../../../lambdas/runtime/request/query-request';
import { createRuntimeContext, type RuntimeContext } from '../../../lambdas/runtime/runtime-context';
import { TestMcpServer, type WorkArguments } from '../../support/test-mcp-server';

/** Builds a `work` query. `work` is cacheable here, so it counts as read-only. */
function work(id: string, args: WorkArguments, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { id, server: 'test', tool: 'work', arguments: { key: id, ...args }, ...extra };
}

describe('parallel queries against the test server', () => {
  let server: TestMcpServer;
  let context: RuntimeContext;

  /** Runs one request and resolves its outcomes and wall time. */
  async function run(body: Record<string, unknown>, options: { deadlineAt?: number; signal?: AbortSignal } = {}): Promise<{ outcomes: QueryOutcome[]; wallMs: number; order: string[] }> {
    const request = parseQueryRequest(JSON.stringify(body), context.serverNames);
    const order: string[] = [];
    const startedAt = performance.now();
    const outcomes = await context.runner.run(request, { ...options, onOutcome: (outcome) => order.push(outcome.id) });
    return { outcomes, wallMs: performance.now() - startedAt, order };
  }

  beforeAll(async () => {
    server = await TestMcpServer.start();
  });

  beforeEach(async () => {
    context = createRuntimeContext([resolveServer('test', { url: server.url, cache: { cacheableTools: ['work'], jitterRatio: 0 } })]);
    // Pays the initialize handshake first, so that the timings below measure the calls alone.
    await run({ queries: [{ server: 'test', method: 'tools/list' }] });
    server.resetCounts();
  });

  afterEach(async () => {
    await context.cache.settle();
    await context.clients.close();
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('finishes 5 queries of 300 ms in under 1000 ms', async () => {
    const queries = ['a', 'b', 'c', 'd', 'e'].map((id) => work(id, { delayMs: 300 }));

    const { outcomes, wallMs } = await run({ queries, concurrency: 5 });

    expect(outcomes.every((outcome) => outcome.result !== undefined)).toBe(true);
    expect(wallMs).toBeLessThan(1_000);
    expect(server.callsOf('work')).toBe(5);
  });

  it('runs 5 queries sequentially in 1500 ms or more', async () => {
    const queries = ['a', 'b', 'c', 'd', 'e'].map((id) => work(id, { delayMs: 300 }));

    const { wallMs } = await run({ queries, concurrency: 1 });

    expect(wallMs).toBeGreaterThanOrEqual(1_500);
  });

  it('ends a hanging query as a timeout while four succeed', async () => {
    const queries = [work('hang', { outcome: 'hang' }, { timeoutMs: 500 }), ...['a', 'b', 'c', 'd'].map((id) => work(id, { delayMs: 100 }))];

    const { outcomes, wallMs } = await run({ queries, concurrency: 5 });

    expect(outcomes[0].error?.code).toBe('upstream_timeout');
    expect(outcomes.slice(1).map((outcome) => outcome.result)).toEqual(['a', 'b', 'c', 'd'].map((id) => ({ content: [{ type: 'text', text: `work of ${id}` }] })));
    expect(wallMs).toBeLessThan(1_500);
  });

  it('reports each outcome in completion order', async () => {
    const queries = [work('slow', { delayMs: 400 }), work('fast', { delayMs: 50 }), work('middle', { delayMs: 200 })];

    const { order } = await run({ queries });

    expect(order).toEqual(['fast', 'middle', 'slow']);
  });

  it('ends pending queries as deadline_exceeded at the deadline', async () => {
    const queries = [work('quick', { delayMs: 50 }), work('slow', { delayMs: 3_000 }), work('hang', { outcome: 'hang' })];

    const { outcomes, wallMs } = await run({ queries }, { deadlineAt: performance.now() + 600 });

    expect(outcomes.map((outcome) => outcome.error?.code)).toEqual([undefined, 'deadline_exceeded', 'deadline_exceeded']);
    expect(outcomes[1].error?.message).toMatch(/deadline/);
    expect(wallMs).toBeGreaterThanOrEqual(590);
    expect(wallMs).toBeLessThan(1_100);
  });

  it('ends queued queries at the deadline too', async () => {
    const queries = ['a', 'b', 'c'].map((id) => work(id, { delayMs: 400 }));

    const { outcomes } = await run({ queries, concurrency: 1 }, { deadlineAt: performance.now() + 600 });

    expect(outcomes.map((outcome) => outcome.error?.code)).toEqual([undefined, 'deadline_exceeded', 'deadline_exceeded']);
    // The third query never left the queue, so only two calls reached the server.
    expect(server.callsOf('work')).toBe(2);
  });

  it('aborts pending calls when the signal aborts', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 200);

    const { outcomes } = await run({ queries: [work('hang', { outcome: 'hang' })] }, { signal: controller.signal });
    await waitFor(() => server.cancelledCount === 1);

    expect(outcomes[0].error?.code).toBe('aborted');
    expect(server.cancelledCount).toBe(1);
  });

  it('retries a read-only query after dropped connections', async () => {
    const { outcomes } = await run({ queries: [work('dropped', { outcome: 'drop' })] });

    expect(outcomes[0].error?.code).toBe('upstream_unreachable');
    // Each attempt is sent twice: the client pool resends once on a fresh connection.
    expect(server.callsOf('work')).toBe(DEFAULT_MAX_ATTEMPTS * 2);
  });

  it('never retries a query with side effects', async () => {
    const { outcomes } = await run({ queries: [{ server: 'test', tool: 'mutate', arguments: { outcome: 'drop' } }] });

    expect(outcomes[0].error?.code).toBe('upstream_unreachable');
    expect(server.callsOf('mutate')).toBe(1);
  });

  it('never retries a protocol error', async () => {
    const { outcomes } = await run({ queries: [work('broken', { outcome: 'protocol_error' })] });

    expect(outcomes[0].error?.code).toBe('protocol_error');
    expect(server.callsOf('work')).toBe(1);
  });

  it('shares one call among identical queries of one request', async () => {
    const { outcomes } = await run({ queries: [work('same', { delayMs: 100 }, { id: 'x' }), work('same', { delayMs: 100 }, { id: 'y' })] });

    expect(outcomes.map((outcome) => outcome.result)).toEqual([{ content: [{ type: 'text', text: 'work of same' }] }, { content: [{ type: 'text', text: 'work of same' }] }]);
    expect(server.callsOf('work')).toBe(1);
  });

  it('makes one upstream call for 20 concurrent identical misses', async () => {
    const requests = Array.from({ length: 20 }, () => run({ queries: [work('stampede', { delayMs: 200 })] }));

    const results = await Promise.all(requests);

    expect(server.callsOf('work')).toBe(1);
    expect(results.every(({ outcomes }) => outcomes[0].result !== undefined)).toBe(true);
    expect(results.filter(({ outcomes }) => outcomes[0].upstream?.shared === false)).toHaveLength(1);
  });

  it('keeps a tool error out of the cache', async () => {
    await run({ queries: [work('bad', { outcome: 'tool_error' })] });
    const { outcomes } = await run({ queries: [work('bad', { outcome: 'tool_error' })] });

    expect(outcomes[0].error?.code).toBe('tool_error');
    expect(outcomes[0].error?.message).toContain('failed as asked for key bad');
    expect(server.callsOf('work')).toBe(2);
  });

  it('leaves no runtime timer running after a run that timed out', async () => {
    const timers = trackRuntimeTimers();
    try {
      await run({ queries: [work('hang', { outcome: 'hang' }, { timeoutMs: 200 }), work('late', { delayMs: 2_000 })] }, { deadlineAt: performance.now() + 400 });
      await context.cache.settle();

      expect(timers.created()).toBeGreaterThan(0);
      expect(timers.pending()).toEqual([]);
    } finally {
      timers.restore();
    }
  });
});

/**
 * Records the timers that runtime code (files under lambdas/runtime/) starts, to show which
 * still hold the process open. The test server shares this process, so its timers are left out.
 */
function trackRuntimeTimers(): { created: () => number; pending: () => string[]; restore: () => void } {
  const originalSetTimeout = global.setTimeout;
  const originalClearTimeout = global.clearTimeout;
  const live = new Map<NodeJS.Timeout, string>();
  let created = 0;
  const tracked = (callback: (...args: unknown[]) => void, ms?: number, ...args: unknown[]): NodeJS.Timeout => {
    const site = new Error().stack?.split('\n').find((line) => line.includes('/lambdas/runtime/'));
    const handle = originalSetTimeout((...callbackArgs: unknown[]) => {
      live.delete(handle);
      callback(...callbackArgs);
    }, ms, ...args);
    if (site !== undefined) {
      created += 1;
      live.set(handle, site.trim());
    }
    return handle;
  };
  global.setTimeout = tracked as unknown as typeof setTimeout;
  global.clearTimeout = ((handle: NodeJS.Timeout) => {
    live.delete(handle);
    originalClearTimeout(handle);
  }) as typeof clearTimeout;
  return {
    created: () => created,
    pending: () => [...live].filter(([handle]) => handle.hasRef()).map(([, site]) => site),
    restore: () => {
      global.setTimeout = originalSetTimeout;
      global.clearTimeout = originalClearTimeout;
    },
  };
}

/** Waits until `condition` holds, checking every 10 ms for at most 2 s. */
async function waitFor(condition: () => boolean): Promise<void> {
  for (let waited = 0; waited < 2_000 && !condition(); waited += 10) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
