import { startLocalStack, type LocalStack } from '../../local/local-stack';
import { postForEvents } from '../support/ndjson-client';
import { TestRedisServer } from '../support/redis-server';

const echoRequest = { queries: [{ id: 'a', server: 'everything', tool: 'echo', arguments: { message: 'admin' } }] };

async function cacheStatusOf(stack: LocalStack): Promise<unknown> {
  const response = await postForEvents(stack.functionUrl, echoRequest);
  return response.events.find(({ event }) => event.type === 'result')?.event.cache;
}

describe('REST admin routes with Redis as L2', () => {
  let redis: TestRedisServer;
  let stack: LocalStack;

  beforeAll(async () => {
    redis = await TestRedisServer.start();
    stack = await startLocalStack({ configPath: 'mcp-accelerator.config.json', redisUrl: redis.url });
  });

  afterAll(async () => {
    await stack?.stop();
    await redis?.stop();
  });

  it('lists the configured servers', async () => {
    const response = await fetch(`${stack.apiUrl}/servers`);

    expect(response.status).toBe(200);
    const body = (await response.json()) as { servers: { name: string; cache: { cacheableTools: string[] } }[] };
    expect(body.servers.map((server) => server.name)).toEqual(['everything']);
    expect(body.servers[0].cache.cacheableTools).toEqual(['echo', 'get-sum']);
  });

  it('reports L2 and upstream health', async () => {
    const response = await fetch(`${stack.apiUrl}/health`);

    expect(response.status).toBe(200);
    const body = (await response.json()) as { status: string; cache: Record<string, unknown>; upstreams: Record<string, unknown>[] };
    expect(body.status).toBe('ok');
    expect(body.cache).toMatchObject({ l2: 'ok', breaker: 'closed', latencyMs: expect.any(Number) });
    expect(body.upstreams).toEqual([{ server: 'everything', status: 'ok', latencyMs: expect.any(Number) }]);
  });

  it('invalidates a server so the next query misses', async () => {
    await cacheStatusOf(stack);
    expect(await cacheStatusOf(stack)).toMatchObject({ status: 'hit' });

    const response = await fetch(`${stack.apiUrl}/cache?server=everything`, { method: 'DELETE' });

    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ invalidated: { server: 'everything' }, propagated: true });
    expect(await cacheStatusOf(stack)).toMatchObject({ status: 'miss' });
  });

  it('invalidates one tool from a JSON body', async () => {
    await cacheStatusOf(stack);

    const response = await fetch(`${stack.apiUrl}/cache`, {
      method: 'DELETE',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ server: 'everything', tool: 'echo' }),
    });

    expect(response.status).toBe(200);
    expect(await cacheStatusOf(stack)).toMatchObject({ status: 'miss' });
  });

  it('keeps other tools cached after a tool invalidation', async () => {
    const sumRequest = { queries: [{ server: 'everything', tool: 'get-sum', arguments: { a: 40, b: 2 } }] };
    await postForEvents(stack.functionUrl, sumRequest);

    await fetch(`${stack.apiUrl}/cache?server=everything&tool=echo`, { method: 'DELETE' });
    const response = await postForEvents(stack.functionUrl, sumRequest);

    expect(response.events.find(({ event }) => event.type === 'result')?.event.cache).toMatchObject({ status: 'hit', tier: 'l1' });
  });

  it.each([
    { name: 'an unknown server', query: 'server=nope', status: 400, code: 'unknown_server' },
    { name: 'no server', query: '', status: 400, code: 'invalid_request' },
    { name: 'both method and tool', query: 'server=everything&method=tools/list&tool=echo', status: 400, code: 'invalid_request' },
  ])('rejects invalidating $name', async ({ query, status, code }) => {
    const response = await fetch(`${stack.apiUrl}/cache?${query}`, { method: 'DELETE' });

    expect(response.status).toBe(status);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe(code);
  });

  it('answers an unknown route with 404 and the routes', async () => {
    const response = await fetch(`${stack.apiUrl}/query`, { method: 'GET' });

    expect(response.status).toBe(404);
    const body = (await response.json()) as { error: { fix: string } };
    expect(body.error.fix).toContain('POST /local/query');
  });
});
