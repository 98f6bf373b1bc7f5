import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import type { Context, LambdaFunctionURLEvent } from 'aws-lambda';

import { installLambdaStreamingGlobal } from '../../local/lambda-streaming';
import { createFunctionUrlServer } from '../../local/local-hosts';
import { resolveServer } from '../../lambdas/runtime/config/server-config';
import { DEADLINE_SAFETY_MARGIN_MS } from '../../lambdas/runtime/executor/request-deadline';
import { streamQueries } from '../../lambdas/runtime/handlers/stream-queries';
import { createRuntimeContext, type RuntimeContext } from '../../lambdas/runtime/runtime-context';
import { postForEvents } from '../support/ndjson-client';
import { TestMcpServer, type WorkArguments } from '../support/test-mcp-server';

installLambdaStreamingGlobal();

function work(id: string, args: WorkArguments, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { id, server: 'test', tool: 'work', arguments: { key: id, ...args }, ...extra };
}

/** One chunk of a response body with the time it arrived, in ms since the request was sent. */
interface TimedChunk {
  readonly text: string;
  readonly receivedAtMs: number;
}

/** Posts a body and reads the response chunk by chunk as it arrives. */
async function postForChunks(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; headers: Headers; chunks: TimedChunk[]; text: string }> {
  const sentAt = performance.now();
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const decoder = new TextDecoder();
  const chunks: TimedChunk[] = [];
  for await (const chunk of response.body!) {
    chunks.push({ text: decoder.decode(chunk, { stream: true }), receivedAtMs: performance.now() - sentAt });
  }
  return { status: response.status, headers: response.headers, chunks, text: chunks.map((chunk) => chunk.text).join('') };
}

describe('streamed responses', () => {
  let upstream: TestMcpServer;
  let runtime: RuntimeContext;
  let host: Server;
  let url: string;
  /** What the next invocation's context reports as the Lambda's remaining time, in ms. */
  let remainingTimeMs = 30_000;
  /** Padding of the next invocation's writes, in bytes. */
  let padToBytes = 0;
  /** Runtime of the next invocation, when a test needs another one. */
  let runtimeOverride: RuntimeContext | undefined;

  beforeAll(async () => {
    upstream = await TestMcpServer.start();
    runtime = createRuntimeContext([resolveServer('test', { url: upstream.url, cache: { cacheableTools: ['work'], jitterRatio: 0 } })]);
    const handler = awslambda.streamifyResponse(async (event, responseStream, context) => {
      const limited: Context = { ...context, getRemainingTimeInMillis: () => remainingTimeMs };
      await streamQueries(event as LambdaFunctionURLEvent, responseStream, limited, runtimeOverride ?? runtime, { padToBytes });
    });
    host = createFunctionUrlServer(handler, 'stream-test');
    await new Promise<void>((resolve) => host.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(host.address() as AddressInfo).port}/`;
    // Pays the initialize handshake first, so that timings measure the calls alone.
    await postForEvents(url, { queries: [{ server: 'test', method: 'tools/list' }] });
  });

  beforeEach(() => {
    upstream.resetCounts();
    remainingTimeMs = 30_000;
    padToBytes = 0;
    runtimeOverride = undefined;
  });

  afterAll(async () => {
    host?.closeAllConnections();
    await new Promise((resolve) => host?.close(resolve));
    await runtime?.clients.close();
    await upstream?.stop();
  });

  it('delivers a fast result before a slow query finishes', async () => {
    const response = await postForEvents(url, { queries: [work('slow', { delayMs: 1_000 }), work('fast', { delayMs: 50 })] });

    const arrivals = Object.fromEntries(response.events.map(({ event, receivedAtMs }) => [event.id ?? event.type, receivedAtMs]));
    expect(response.events.map(({ event }) => event.id ?? event.type)).toEqual(['start', 'fast', 'slow', 'end']);
    expect(arrivals.fast).toBeLessThan(500);
    expect(arrivals.slow).toBeGreaterThanOrEqual(1_000);
    expect(arrivals.slow - arrivals.fast).toBeGreaterThan(500);
  });

  it('writes the start event before any lookup', async () => {
    const response = await postForEvents(url, { queries: [work('start-probe', { delayMs: 300 })] });

    expect(response.events[0].event.type).toBe('start');
    expect(response.events[0].receivedAtMs).toBeLessThan(100);
    expect(response.events[1].receivedAtMs).toBeGreaterThanOrEqual(300);
  });

  it('writes cache hits before the misses are answered', async () => {
    await postForEvents(url, { queries: [work('cached', {})] });

    const response = await postForEvents(url, { queries: [work('miss', { delayMs: 500 }), work('cached', {})] });

    const hit = response.events.find(({ event }) => event.id === 'cached')!;
    expect(hit.event.cache).toMatchObject({ status: 'hit', tier: 'l1' });
    expect(hit.receivedAtMs).toBeLessThan(100);
    expect(response.events.map(({ event }) => event.id ?? event.type)).toEqual(['start', 'cached', 'miss', 'end']);
  });

  it('streams SSE events when the Accept header asks', async () => {
    const response = await postForChunks(url, { queries: [work('sse', {})] }, { accept: 'text/event-stream' });

    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(response.text).toMatch(/^event: start\ndata: \{"type":"start"/);
    expect(response.text).toContain('event: result\ndata: {"type":"result","id":"sse"');
    expect(response.text.endsWith('\n\n')).toBe(true);
  });

  it('streams the text of each result in lines mode', async () => {
    const response = await postForChunks(url, { mode: 'lines', queries: [work('one', {}), work('two', { outcome: 'tool_error' })] });

    expect(response.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    const lines = response.text.trimEnd().split('\n').sort();
    expect(lines).toEqual(['error two: tool_error: Tool "work" on server "test" failed: work failed as asked for key two', 'work of one']);
  });

  it('streams each result as its own chunk in chunks mode', async () => {
    const response = await postForChunks(url, { mode: 'chunks', queries: [work('late', { delayMs: 400 }), work('early', { delayMs: 20 })] });

    expect(response.text).toBe('work of earlywork of late');
    expect(response.chunks[0].text).toBe('work of early');
    expect(response.chunks[0].receivedAtMs).toBeLessThan(300);
  });

  it('pads NDJSON lines without changing the events', async () => {
    padToBytes = 2048;

    const padded = await postForChunks(url, { queries: [work('padded', {})] });

    const lines = padded.text.split('\n').filter((line) => line !== '');
    expect(lines.map((line) => Buffer.byteLength(line) + 1)).toEqual([2048, 2048, 2048]);
    expect(lines.map((line) => JSON.parse(line).type)).toEqual(['start', 'result', 'end']);
  });

  it('ends pending queries at the deadline and ends the stream', async () => {
    remainingTimeMs = DEADLINE_SAFETY_MARGIN_MS + 500;

    const response = await postForEvents(url, { queries: [work('quick', { delayMs: 20 }), work('hang', { outcome: 'hang' })] });

    expect(response.status).toBe(200);
    expect(response.events.map(({ event }) => event.type)).toEqual(['start', 'result', 'error', 'end']);
    expect(response.events[2].event.error).toMatchObject({ code: 'deadline_exceeded' });
    expect(response.events[3].receivedAtMs).toBeLessThan(1_000);
  });

  it('aborts pending upstream calls when the client disconnects', async () => {
    const controller = new AbortController();
    const response = await fetch(url, { method: 'POST', signal: controller.signal, body: JSON.stringify({ queries: [work('left', { outcome: 'hang' })] }) });
    const reader = response.body!.getReader();
    await reader.read();

    controller.abort();
    await waitFor(() => upstream.cancelledCount === 1);

    expect(upstream.cancelledCount).toBe(1);
  });

  it('turns a failure after the first byte into an error event and end', async () => {
    // The parser accepts "ghost" but the planner has no such server, as a config bug would cause.
    runtimeOverride = { ...runtime, serverNames: [...runtime.serverNames, 'ghost'] };

    const response = await postForEvents(url, { queries: [{ server: 'ghost', method: 'tools/list' }] });

    expect(response.status).toBe(200);
    expect(response.events.map(({ event }) => event.type)).toEqual(['start', 'error', 'end']);
    expect(response.events[1].event.error).toMatchObject({ code: 'internal_error' });
    expect(response.events[1].event.id).toBeUndefined();
  });

  it('sends the status and JSON of a rejected request in one write', async () => {
    const response = await postForChunks(url, { mode: 'xml', queries: [work('x', {})] });

    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(response.chunks).toHaveLength(1);
    expect(JSON.parse(response.text).error).toMatchObject({ code: 'invalid_request', field: 'mode' });
  });
});

/** Waits until `condition` holds, checking every 10 ms for at most 3 s. */
async function waitFor(condition: () => boolean): Promise<void> {
  for (let waited = 0; waited < 3_000 && !condition(); waited += 10) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
