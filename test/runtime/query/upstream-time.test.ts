import { resolveServer } from '../../../lambdas/runtime/config/server-config';
import { parseQueryRequest } from '../../../lambdas/runtime/request/query-request';
import { createRuntimeContext, type RuntimeContext } from '../../../lambdas/runtime/runtime-context';
import { TestMcpServer } from '../../support/test-mcp-server';

describe('upstream time of a query', () => {
  let upstream: TestMcpServer;
  let context: RuntimeContext;

  beforeAll(async () => {
    upstream = await TestMcpServer.start();
    context = createRuntimeContext([resolveServer('test', { url: upstream.url })]);
  });

  afterAll(async () => {
    await context?.clients.close();
    await upstream?.stop();
  });

  it('leaves out the wait for a concurrency slot', async () => {
    const queries = ['a', 'b'].map((key) => ({ server: 'test', tool: 'work', arguments: { key, delayMs: 200 } }));
    const request = parseQueryRequest(JSON.stringify({ queries, concurrency: 1 }), ['test']);

    const outcomes = await context.runner.run(request, { onOutcome: () => undefined });

    // The second query waited about 200 ms for the first; its own call took about 200 ms too.
    const [first, second] = outcomes;
    expect(second.durationMs).toBeGreaterThan(350);
    expect(second.upstream!.durationMs).toBeLessThan(second.durationMs - 150);
    expect(first.upstream!.durationMs).toBeGreaterThanOrEqual(190);
  });
});
