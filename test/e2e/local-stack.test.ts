import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { startLocalStack, type LocalStack } from '../../local/local-stack';
import { postForEvents } from '../support/ndjson-client';

/** The request that the README and `npm start` print: two identical echo calls and one get-sum. */
const readmeRequest = {
  queries: [
    { id: 'a', server: 'everything', tool: 'echo', arguments: { message: 'hello' } },
    { id: 'b', server: 'everything', tool: 'echo', arguments: { message: 'hello' } },
    { id: 'c', server: 'everything', tool: 'get-sum', arguments: { a: 2, b: 3 } },
  ],
};

describe('local stack with server-everything', () => {
  let stack: LocalStack;

  beforeAll(async () => {
    stack = await startLocalStack({ configPath: 'mcp-accelerator.config.json' });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('streams start, three results and end', async () => {
    const response = await postForEvents(stack.functionUrl, readmeRequest);

    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
    const types = response.events.map(({ event }) => event.type);
    expect(types).toEqual(['start', 'result', 'result', 'result', 'end']);
    const results = Object.fromEntries(response.events.filter(({ event }) => event.type === 'result').map(({ event }) => [event.id, event]));
    expect(results.a.result).toEqual({ content: [{ type: 'text', text: 'Echo: hello' }] });
    expect(results.b.result).toEqual({ content: [{ type: 'text', text: 'Echo: hello' }] });
    expect(results.c.result).toEqual({ content: [{ type: 'text', text: 'The sum of 2 and 3 is 5.' }] });
  });

  it('shares one upstream call between identical queries', async () => {
    const response = await postForEvents(stack.functionUrl, {
      queries: [
        { id: 'x', server: 'everything', tool: 'echo', arguments: { message: 'shared' } },
        { id: 'y', server: 'everything', tool: 'echo', arguments: { message: 'shared' } },
      ],
    });

    const end = response.events.at(-1)!.event;
    expect(end.type).toBe('end');
    expect(end.summary).toMatchObject({ queries: 2, results: 2, upstreamCalls: 1 });
  });

  it('reports hits for all three on the same request again', async () => {
    await postForEvents(stack.functionUrl, readmeRequest);
    const response = await postForEvents(stack.functionUrl, readmeRequest);

    const results = response.events.filter(({ event }) => event.type === 'result').map(({ event }) => event);
    expect(results).toHaveLength(3);
    for (const result of results) {
      expect(result.cache).toMatchObject({ status: 'hit', tier: 'l1' });
    }
    expect(response.events.at(-1)!.event.summary).toMatchObject({ hits: 3, upstreamCalls: 0 });
  });

  it('answers the REST API in input order with Server-Timing', async () => {
    const response = await fetch(stack.queryUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(readmeRequest),
    });

    expect(response.status).toBe(200);
    expect(response.headers.get('server-timing')).toMatch(/^cache;desc="sum of lookups";dur=[\d.]+, upstream;desc="sum of calls";dur=[\d.]+, total;dur=[\d.]+$/);
    const body = (await response.json()) as { results: { id: string; type: string }[] };
    expect(body.results.map((result) => result.id)).toEqual(['a', 'b', 'c']);
    expect(body.results.every((result) => result.type === 'result')).toBe(true);
  });

  it('streams a tool error as an error event', async () => {
    const response = await postForEvents(stack.functionUrl, {
      queries: [
        { id: 'ok', server: 'everything', tool: 'echo', arguments: { message: 'fine' } },
        { id: 'bad', server: 'everything', tool: 'no-such-tool' },
      ],
    });

    const bad = response.events.find(({ event }) => event.id === 'bad')!.event;
    expect(bad.type).toBe('error');
    expect(bad.error).toMatchObject({ code: 'tool_error' });
    expect(response.events.find(({ event }) => event.id === 'ok')!.event.type).toBe('result');
    expect(response.events.at(-1)!.event.type).toBe('end');
  });
});

/** Starts a TCP listener that counts connections: used as an MCP server, it shows whether any call was made. */
async function startConnectionCounter(): Promise<{ server: Server; url: string; connections: () => number }> {
  let count = 0;
  const server = createServer((socket) => {
    count += 1;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}/mcp`, connections: () => count };
}

describe('local stack rejecting bad requests', () => {
  let stack: LocalStack;
  let upstream: Awaited<ReturnType<typeof startConnectionCounter>>;

  beforeAll(async () => {
    upstream = await startConnectionCounter();
    const directory = mkdtempSync(join(tmpdir(), 'mcp-accelerator-'));
    const configPath = join(directory, 'config.json');
    writeFileSync(configPath, JSON.stringify({ servers: { counted: { url: upstream.url } } }));
    stack = await startLocalStack({ configPath });
  });

  afterAll(async () => {
    await stack?.stop();
    await new Promise((resolve) => upstream?.server.close(resolve));
  });

  it.each([
    {
      name: 'a body that is not JSON',
      body: '{"queries": [',
      code: 'invalid_json',
      field: undefined,
    },
    {
      name: 'an unknown server',
      body: { queries: [{ server: 'counted', tool: 'echo' }, { server: 'elsewhere', tool: 'echo' }] },
      code: 'unknown_server',
      field: 'queries[1].server',
    },
    {
      name: 'an unknown method',
      body: { queries: [{ server: 'counted', tool: 'echo' }, { server: 'counted', method: 'tools/delete' }] },
      code: 'invalid_request',
      field: 'queries[1].method',
    },
  ])('rejects $name with a 400 and no upstream call', async ({ body, code, field }) => {
    const response = await postForEvents(stack.functionUrl, body);

    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toBe('application/json');
    const error = JSON.parse(response.text).error;
    expect(error.code).toBe(code);
    expect(error.field).toBe(field);
    expect(error.fix).toEqual(expect.any(String));
    expect(upstream.connections()).toBe(0);
  });

  it('rejects the same bad request on the REST API', async () => {
    const response = await fetch(stack.queryUrl, { method: 'POST', body: 'not json', headers: { 'content-type': 'application/json' } });

    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('invalid_json');
    expect(upstream.connections()).toBe(0);
  });

  it('streams an unreachable upstream as an error event', async () => {
    const response = await postForEvents(stack.functionUrl, { queries: [{ server: 'counted', method: 'tools/list', timeoutMs: 2000 }] });

    expect(response.status).toBe(200);
    const types = response.events.map(({ event }) => event.type);
    expect(types).toEqual(['start', 'error', 'end']);
    expect(response.events[1].event.error).toMatchObject({ code: 'upstream_unreachable' });
  });
});
