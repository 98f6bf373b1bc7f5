import { resolveServer } from '../../../lambdas/runtime/config/server-config';
import { McpClientPool } from '../../../lambdas/runtime/mcp/client-pool';
import { classifyUpstreamError, QueryError } from '../../../lambdas/runtime/mcp/upstream-error';
import { TestMcpServer, type WorkArguments } from '../../support/test-mcp-server';

/** Calls the `work` tool (or `mutate`) and resolves its outcome as a QueryError code or the result text. */
async function callWork(pool: McpClientPool, args: WorkArguments, options: { timeoutMs?: number; maxTotalTimeoutMs?: number; signal?: AbortSignal; readOnly?: boolean; tool?: string } = {}): Promise<{ text?: string; code?: string; message?: string }> {
  try {
    const result = (await pool.call('test', 'tools/call', { name: options.tool ?? 'work', arguments: args }, {
      timeoutMs: options.timeoutMs ?? 5_000,
      maxTotalTimeoutMs: options.maxTotalTimeoutMs,
      signal: options.signal,
      readOnly: options.readOnly ?? true,
    })) as { content: { text: string }[] };
    return { text: result.content[0].text };
  } catch (error) {
    const failure = classifyUpstreamError(error, 'test', options.timeoutMs ?? 5_000);
    return { code: failure.code, message: failure.message };
  }
}

describe('McpClientPool', () => {
  let server: TestMcpServer;
  let pool: McpClientPool;

  beforeAll(async () => {
    server = await TestMcpServer.start();
  });

  beforeEach(() => {
    server.rejectAllSessions = false;
    pool = new McpClientPool([resolveServer('test', { url: server.url })]);
  });

  afterEach(async () => {
    await pool.close();
  });

  afterAll(async () => {
    await server?.stop();
  });

  describe('timeouts and aborts', () => {
    it('ends a hanging call as upstream_timeout', async () => {
      const startedAt = performance.now();
      const outcome = await callWork(pool, { outcome: 'hang' }, { timeoutMs: 300 });

      expect(outcome.code).toBe('upstream_timeout');
      expect(outcome.message).toContain('300 ms');
      expect(performance.now() - startedAt).toBeLessThan(1_500);
    });

    it('extends the timeout while progress arrives', async () => {
      const outcome = await callWork(pool, { delayMs: 900, progressCount: 8 }, { timeoutMs: 300 });

      expect(outcome).toEqual({ text: 'work of k' });
    });

    it('times out a slow call without progress', async () => {
      const outcome = await callWork(pool, { delayMs: 900 }, { timeoutMs: 300 });

      expect(outcome.code).toBe('upstream_timeout');
    });

    it('ends at the maximum total despite progress', async () => {
      const startedAt = performance.now();
      const outcome = await callWork(pool, { delayMs: 3_000, progressCount: 30 }, { timeoutMs: 300, maxTotalTimeoutMs: 800 });
      const elapsedMs = performance.now() - startedAt;

      expect(outcome.code).toBe('upstream_timeout');
      expect(outcome.message).toContain('maximum of 800 ms');
      expect(elapsedMs).toBeGreaterThanOrEqual(790);
      expect(elapsedMs).toBeLessThan(1_500);
    });

    it('ends an aborted call with the signal reason', async () => {
      const controller = new AbortController();
      setTimeout(() => controller.abort(new QueryError('aborted', 'the client left')), 200);

      const outcome = await callWork(pool, { outcome: 'hang' }, { signal: controller.signal });

      expect(outcome).toEqual({ code: 'aborted', message: 'the client left' });
    });

    it('cancels the call on the server after a timeout', async () => {
      server.resetCounts();

      await callWork(pool, { outcome: 'hang' }, { timeoutMs: 200 });
      await waitFor(() => server.cancelledCount === 1);

      expect(server.cancelledCount).toBe(1);
    });
  });

  describe('upstream failures', () => {
    it('reports a JSON-RPC error as protocol_error', async () => {
      const outcome = await callWork(pool, { outcome: 'protocol_error' });

      expect(outcome.code).toBe('protocol_error');
      expect(outcome.message).toContain('raised a protocol error as asked');
    });

    it('returns an isError result as a result', async () => {
      const result = await pool.call('test', 'tools/call', { name: 'work', arguments: { outcome: 'tool_error' } }, { timeoutMs: 5_000 });

      expect(result).toMatchObject({ isError: true });
    });

    it('sends a read-only call once more after a dropped connection', async () => {
      await callWork(pool, {});
      server.resetCounts();

      const outcome = await callWork(pool, { outcome: 'drop' }, { readOnly: true });

      expect(outcome.code).toBe('upstream_unreachable');
      expect(server.callsOf('work')).toBe(2);
    });

    it('never resends a call that is not read-only', async () => {
      await callWork(pool, {});
      server.resetCounts();

      const outcome = await callWork(pool, { outcome: 'drop' }, { readOnly: false, tool: 'mutate' });

      expect(outcome.code).toBe('upstream_unreachable');
      expect(server.callsOf('mutate')).toBe(1);
    });
  });

  describe('sessions', () => {
    it('recovers from a forgotten session with two initialize calls', async () => {
      server.resetCounts();
      expect(await callWork(pool, { key: 'before' })).toEqual({ text: 'work of before' });

      await server.forgetSessions();
      const outcome = await callWork(pool, { key: 'after' }, { readOnly: false, tool: 'mutate' });

      expect(outcome).toEqual({ text: 'work of after' });
      expect(server.initializeCount).toBe(2);
      expect(server.unknownSessionCount).toBe(1);
    });

    it('shares one new session among concurrent calls', async () => {
      await callWork(pool, {});
      server.resetCounts();
      await server.forgetSessions();

      const outcomes = await Promise.all([1, 2, 3, 4, 5].map((key) => callWork(pool, { key: String(key) })));

      expect(outcomes.map((outcome) => outcome.text)).toEqual(['work of 1', 'work of 2', 'work of 3', 'work of 4', 'work of 5']);
      expect(server.initializeCount).toBe(1);
    });

    it('fails with session_expired when the new session is rejected too', async () => {
      await callWork(pool, {});
      server.resetCounts();
      server.rejectAllSessions = true;

      const outcome = await callWork(pool, {});

      expect(outcome.code).toBe('session_expired');
      expect(server.initializeCount).toBe(1);
      expect(server.unknownSessionCount).toBe(2);
      expect(server.callsOf('work')).toBe(0);
    });
  });
});

describe('McpClientPool against a server that answers 400 for unknown sessions', () => {
  it('recovers as from a 404', async () => {
    const server = await TestMcpServer.start({ unknownSessionStatus: 400 });
    const pool = new McpClientPool([resolveServer('test', { url: server.url })]);
    try {
      await callWork(pool, {});
      server.resetCounts();
      await server.forgetSessions();

      const outcome = await callWork(pool, { key: 'again' });

      expect(outcome).toEqual({ text: 'work of again' });
      expect(server.initializeCount).toBe(1);
      expect(server.unknownSessionCount).toBe(1);
    } finally {
      await pool.close();
      await server.stop();
    }
  });
});

/** Waits until `condition` holds, checking every 10 ms for at most 2 s. */
async function waitFor(condition: () => boolean): Promise<void> {
  for (let waited = 0; waited < 2_000 && !condition(); waited += 10) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
