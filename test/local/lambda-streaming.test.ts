import { request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { installLambdaStreamingGlobal, isStreamingHandler, LocalResponseStream } from '../../local/lambda-streaming';
import { createFunctionUrlServer } from '../../local/local-hosts';

installLambdaStreamingGlobal();

type Handler = (event: unknown, stream: LocalResponseStream) => Promise<void>;

async function host(handler: Handler): Promise<{ server: Server; url: string }> {
  const server = createFunctionUrlServer(awslambda.streamifyResponse(handler as never), 'test-function');
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` };
}

describe('local function URL emulation', () => {
  const servers: Server[] = [];

  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
  });

  it('marks streamified handlers', () => {
    expect(isStreamingHandler(awslambda.streamifyResponse(async () => undefined))).toBe(true);
    expect(isStreamingHandler(async () => undefined)).toBe(false);
  });

  it('delivers each write before the handler returns', async () => {
    let releaseSecondWrite!: () => void;
    const secondWriteAllowed = new Promise<void>((resolve) => {
      releaseSecondWrite = resolve;
    });
    const { server, url } = await host(async (_event, responseStream) => {
      const stream = awslambda.HttpResponseStream.from(responseStream, { statusCode: 200, headers: { 'content-type': 'text/plain' } });
      stream.write('first\n');
      await secondWriteAllowed;
      stream.write('second\n');
      stream.end();
    });
    servers.push(server);

    const response = await fetch(url, { method: 'POST' });
    const reader = response.body!.getReader();
    const first = await reader.read();
    // The handler is still waiting here, so the first chunk was streamed, not buffered.
    expect(new TextDecoder().decode(first.value)).toBe('first\n');

    releaseSecondWrite();
    const second = await reader.read();
    expect(new TextDecoder().decode(second.value)).toBe('second\n');
    expect((await reader.read()).done).toBe(true);
  });

  it('sends status and headers from HttpResponseStream.from', async () => {
    const { server, url } = await host(async (_event, responseStream) => {
      const stream = awslambda.HttpResponseStream.from(responseStream, { statusCode: 418, headers: { 'x-test': 'yes' } });
      stream.end('teapot');
    });
    servers.push(server);

    const response = await fetch(url, { method: 'POST' });

    expect(response.status).toBe(418);
    expect(response.headers.get('x-test')).toBe('yes');
    expect(await response.text()).toBe('teapot');
  });

  it('defaults to 200 and application/octet-stream without a prelude', async () => {
    const { server, url } = await host(async (_event, responseStream) => {
      responseStream.end('raw');
    });
    servers.push(server);

    const response = await fetch(url, { method: 'POST' });

    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/octet-stream');
  });

  it('rejects HttpResponseStream.from after the first write', async () => {
    let thrown: unknown;
    const { server, url } = await host(async (_event, responseStream) => {
      responseStream.write('body');
      try {
        awslambda.HttpResponseStream.from(responseStream, { statusCode: 500 });
      } catch (error) {
        thrown = error;
      }
      responseStream.end();
    });
    servers.push(server);

    await (await fetch(url, { method: 'POST' })).text();

    expect(thrown).toBeInstanceOf(Error);
    expect((thrown as Error).message).toMatch(/before the first write/);
  });

  it('ends the response when the handler returns without ending it', async () => {
    const { server, url } = await host(async (_event, responseStream) => {
      responseStream.write('partial');
    });
    servers.push(server);

    const response = await fetch(url, { method: 'POST' });

    expect(await response.text()).toBe('partial');
  });

  it('passes a payload 2.0 event with the body as text', async () => {
    let received: Record<string, unknown> | undefined;
    const { server, url } = await host(async (event, responseStream) => {
      received = event as Record<string, unknown>;
      responseStream.end();
    });
    servers.push(server);

    await (await fetch(`${url}path?x=1&x=2`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}' })).text();

    expect(received).toMatchObject({
      version: '2.0',
      rawPath: '/path',
      rawQueryString: 'x=1&x=2',
      queryStringParameters: { x: '1,2' },
      body: '{"a":1}',
      isBase64Encoded: false,
      requestContext: { http: { method: 'POST', path: '/path' } },
    });
  });

  it('base64-encodes a binary body', async () => {
    let received: { body?: string; isBase64Encoded?: boolean } | undefined;
    const { server, url } = await host(async (event, responseStream) => {
      received = event as typeof received;
      responseStream.end();
    });
    servers.push(server);

    await (await fetch(url, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: new Uint8Array([0, 1, 2]) })).text();

    expect(received?.isBase64Encoded).toBe(true);
    expect(received?.body).toBe('AAEC');
  });

  it('destroys the response stream when the client disconnects', async () => {
    let closedBeforeEnd: Promise<boolean> | undefined;
    const { server, url } = await host(async (_event, responseStream) => {
      closedBeforeEnd = new Promise((resolve) => responseStream.once('close', () => resolve(!responseStream.writableFinished)));
      responseStream.write('start');
      await closedBeforeEnd;
    });
    servers.push(server);

    // A raw socket that reads the first chunk and then goes away, as a client that disconnects does.
    await new Promise<void>((resolve, reject) => {
      const request = httpRequest(url, { method: 'POST' }, (response) => {
        response.once('data', () => {
          request.destroy();
          resolve();
        });
      });
      request.once('error', reject);
      request.end();
    });

    await expect(closedBeforeEnd).resolves.toBe(true);
  });
});

