import type { StreamEvent } from '../../../lambdas/runtime/streaming/events';
import { chooseStreamMode, createStreamEncoder, resultText } from '../../../lambdas/runtime/streaming/stream-modes';

const start: StreamEvent = { type: 'start', requestId: 'r1', queries: 2 };
const result: StreamEvent = {
  type: 'result',
  id: 'a',
  index: 0,
  server: 'test',
  method: 'tools/call',
  cache: { status: 'miss' },
  durationMs: 12.3,
  result: { content: [{ type: 'text', text: 'first line\nsecond line' }] },
};
const failure: StreamEvent = {
  type: 'error',
  id: 'b',
  index: 1,
  server: 'test',
  method: 'tools/call',
  cache: { status: 'miss' },
  durationMs: 5,
  error: { code: 'upstream_timeout', message: 'Server "test" did not respond within 300 ms.' },
};
const end: StreamEvent = {
  type: 'end',
  summary: { queries: 2, results: 1, errors: 1, hits: 0, misses: 2, upstreamCalls: 2, durationMs: 20, cacheMs: 0, upstreamMs: 17 },
};

/** Parses an SSE body into its events' data, as an EventSource would. */
function parseSse(body: string): unknown[] {
  return body
    .split('\n\n')
    .filter((block) => block.trim() !== '')
    .map((block) => block.split('\n').filter((line) => line.startsWith('data: ')).map((line) => line.slice(6)).join('\n'))
    .filter((data) => data !== '')
    .map((data) => JSON.parse(data));
}

describe('chooseStreamMode', () => {
  it.each([
    { bodyMode: undefined, accept: undefined, expected: 'ndjson' },
    { bodyMode: undefined, accept: '*/*', expected: 'ndjson' },
    { bodyMode: undefined, accept: 'text/event-stream', expected: 'sse' },
    { bodyMode: undefined, accept: 'application/x-ndjson', expected: 'ndjson' },
    { bodyMode: undefined, accept: 'text/plain; charset=utf-8', expected: 'lines' },
    { bodyMode: undefined, accept: 'application/json, text/event-stream;q=0.9', expected: 'sse' },
    { bodyMode: 'chunks', accept: 'text/event-stream', expected: 'chunks' },
    { bodyMode: 'ndjson', accept: 'text/plain', expected: 'ndjson' },
  ] as const)('picks $expected for mode $bodyMode and Accept $accept', ({ bodyMode, accept, expected }) => {
    expect(chooseStreamMode(bodyMode, accept)).toBe(expected);
  });
});

describe('ndjson encoder', () => {
  it('writes one JSON event per line', () => {
    const encoder = createStreamEncoder('ndjson');

    const body = [start, result, failure, end].map((event) => encoder.encode(event)).join('');

    expect(encoder.contentType).toBe('application/x-ndjson; charset=utf-8');
    expect(body.trimEnd().split('\n').map((line) => JSON.parse(line))).toEqual([start, result, failure, end]);
  });

  it('pads each line to the size and still parses', () => {
    const encoder = createStreamEncoder('ndjson', 512);

    const lines = [start, result, end].map((event) => encoder.encode(event));

    for (const [index, line] of lines.entries()) {
      expect(Buffer.byteLength(line)).toBe(512);
      expect(line.endsWith('\n')).toBe(true);
      expect(JSON.parse(line)).toEqual([start, result, end][index]);
    }
  });

  it('leaves a line longer than the size as it is', () => {
    const encoder = createStreamEncoder('ndjson', 16);

    expect(encoder.encode(start)).toBe(`${JSON.stringify(start)}\n`);
  });
});

describe('sse encoder', () => {
  it('writes each event as a named SSE event', () => {
    const encoder = createStreamEncoder('sse');

    const text = encoder.encode(result);

    expect(encoder.contentType).toBe('text/event-stream; charset=utf-8');
    expect(text).toBe(`event: result\ndata: ${JSON.stringify(result)}\n\n`);
  });

  it('pads with a comment line that parsers skip', () => {
    const encoder = createStreamEncoder('sse', 1024);

    const chunks = [start, result, failure, end].map((event) => encoder.encode(event));

    for (const chunk of chunks) {
      expect(Buffer.byteLength(chunk)).toBe(1024);
      expect(chunk.startsWith(':')).toBe(true);
    }
    expect(parseSse(chunks.join(''))).toEqual([start, result, failure, end]);
  });
});

describe('text encoders', () => {
  it('writes lines mode as text lines and an error line', () => {
    const encoder = createStreamEncoder('lines', 4096);

    const body = [start, result, failure, end].map((event) => encoder.encode(event)).join('');

    expect(encoder.contentType).toBe('text/plain; charset=utf-8');
    expect(body).toBe('first line\nsecond line\nerror b: upstream_timeout: Server "test" did not respond within 300 ms.\n');
  });

  it('writes chunks mode as the text as it is', () => {
    const encoder = createStreamEncoder('chunks');

    const body = [start, result, failure, end].map((event) => encoder.encode(event)).join('');

    expect(body).toBe('first line\nsecond line\nerror b: upstream_timeout: Server "test" did not respond within 300 ms.\n');
    expect(encoder.encode(result)).toBe('first line\nsecond line');
  });
});

describe('resultText', () => {
  it.each([
    { name: 'tool content', result: { content: [{ type: 'text', text: 'a' }, { type: 'image', data: 'x' }, { type: 'text', text: 'b' }] }, expected: 'a\nb' },
    { name: 'resource contents', result: { contents: [{ uri: 'demo://x', text: 'doc' }] }, expected: 'doc' },
    { name: 'prompt messages', result: { messages: [{ role: 'user', content: { type: 'text', text: 'ask' } }] }, expected: 'ask' },
    { name: 'a list', result: { tools: [{ name: 'echo' }] }, expected: '{"tools":[{"name":"echo"}]}' },
  ])('returns the text of $name', ({ result: value, expected }) => {
    expect(resultText(value)).toBe(expected);
  });
});
