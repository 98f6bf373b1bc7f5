import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';

import { parseCallArguments } from '../../bin/call';
import { REPOSITORY_ROOT } from './support/synthesize';

/** Static example credentials from the SigV4 documentation: they sign, but open nothing. */
const FAKE_CREDENTIALS = {
  AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
  AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
};

const SIGV4_AUTHORIZATION =
  /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/(?<region>[a-z0-9-]+)\/(?<service>[a-z-]+)\/aws4_request, SignedHeaders=(?<signed>[a-z0-9;-]+), Signature=[0-9a-f]{64}$/;

interface ReceivedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

/** A loopback server that responds in two chunks and sends the second only when the test calls sendSecondChunk(). */
class TwoChunkServer {
  readonly requests: ReceivedRequest[] = [];
  private server: Server;
  private releaseSecondChunk: () => void = () => undefined;

  constructor(private readonly status = 200) {
    this.server = createServer((request, response) => void this.answer(request, response));
  }

  async start(): Promise<string> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  sendSecondChunk(): void {
    this.releaseSecondChunk();
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    this.server.close();
    await once(this.server, 'close');
  }

  private async answer(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) {
      chunks.push(chunk as Buffer);
    }
    this.requests.push({ method: request.method ?? '', url: request.url ?? '', headers: request.headers, body: Buffer.concat(chunks).toString() });

    const released = new Promise<void>((resolve) => (this.releaseSecondChunk = resolve));
    response.writeHead(this.status, { 'content-type': 'application/x-ndjson' });
    response.write('{"type":"start"}\n');
    await released;
    response.end('{"type":"end"}\n');
  }
}

/** Runs the call command with fake credentials only, and no profile or metadata lookups. */
function runCall(args: string[]) {
  const child = spawn(path.join(REPOSITORY_ROOT, 'node_modules', '.bin', 'tsx'), ['bin/call.ts', ...args], {
    cwd: REPOSITORY_ROOT,
    env: {
      PATH: process.env.PATH,
      HOME: '/nonexistent',
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_CONFIG_FILE: '/nonexistent/config',
      AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/credentials',
      ...FAKE_CREDENTIALS,
    },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
  child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  return {
    output: () => stdout,
    errors: () => stderr,
    exitCode: async () => {
      const [code] = (await once(child, 'exit')) as [number | null];
      return code;
    },
  };
}

async function waitFor(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!condition()) {
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('call command', () => {
  let server: TwoChunkServer;
  let baseUrl: string;

  beforeEach(async () => {
    server = new TwoChunkServer();
    baseUrl = await server.start();
  });

  afterEach(async () => {
    await server.stop();
  });

  it('signs a POST for the lambda service', async () => {
    const call = runCall([`${baseUrl}/`, '--service', 'lambda', '--region', 'eu-west-1', '--data', '{"queries":[]}']);
    await waitFor(() => server.requests.length === 1, 'the request');
    server.sendSecondChunk();

    expect(await call.exitCode()).toBe(0);
    const [request] = server.requests;
    const match = SIGV4_AUTHORIZATION.exec(String(request.headers.authorization));
    expect(match?.groups).toMatchObject({ region: 'eu-west-1', service: 'lambda' });
    expect(match?.groups?.signed.split(';')).toEqual(expect.arrayContaining(['host', 'x-amz-date', 'x-amz-content-sha256']));
    expect(request.headers['x-amz-date']).toMatch(/^\d{8}T\d{6}Z$/);
    expect(request).toMatchObject({ method: 'POST', body: '{"queries":[]}' });
    expect(request.headers['content-type']).toBe('application/json');
  });

  it('streams the body before the response ends', async () => {
    const call = runCall([`${baseUrl}/`, '--service', 'lambda', '--region', 'us-east-1', '--data', '{"queries":[]}']);

    // The server delays the second chunk, so the first can only appear if the client streams.
    await waitFor(() => call.output().includes('{"type":"start"}'), 'the first chunk on stdout');
    expect(call.output()).not.toContain('"end"');
    server.sendSecondChunk();

    expect(await call.exitCode()).toBe(0);
    expect(call.output()).toBe('{"type":"start"}\n{"type":"end"}\n');
  });

  it('signs a GET with a query string for execute-api', async () => {
    const call = runCall([`${baseUrl}/v1/servers?verbose=1`, '--service', 'execute-api', '--region', 'us-east-1']);
    await waitFor(() => server.requests.length === 1, 'the request');
    server.sendSecondChunk();

    expect(await call.exitCode()).toBe(0);
    const [request] = server.requests;
    expect(request).toMatchObject({ method: 'GET', url: '/v1/servers?verbose=1', body: '' });
    expect(SIGV4_AUTHORIZATION.exec(String(request.headers.authorization))?.groups).toMatchObject({ service: 'execute-api' });
  });

  it('exits non-zero on an HTTP error status', async () => {
    await server.stop();
    server = new TwoChunkServer(403);
    baseUrl = await server.start();

    const call = runCall([`${baseUrl}/`, '--service', 'lambda', '--region', 'us-east-1']);
    await waitFor(() => server.requests.length === 1, 'the request');
    server.sendSecondChunk();

    expect(await call.exitCode()).toBe(1);
    expect(call.errors()).toContain('HTTP 403');
  });
});

describe('parseCallArguments', () => {
  it.each([
    ['https://abcdefg.lambda-url.us-east-1.on.aws/', 'lambda', 'us-east-1'],
    ['https://a1b2c3.execute-api.eu-central-1.amazonaws.com/v1/query', 'execute-api', 'eu-central-1'],
  ])('takes service and region from %s', (url, service, region) => {
    expect(parseCallArguments([url])).toMatchObject({ service, region, method: 'GET' });
  });

  it('uses POST when a body is given', () => {
    expect(parseCallArguments(['https://abcdefg.lambda-url.us-east-1.on.aws/', '-d', '{}'])).toMatchObject({ method: 'POST', body: '{}' });
  });

  it.each([
    ['an unknown host without flags', ['http://127.0.0.1:1/'], /cannot tell the signing service and region/],
    ['two URLs', ['https://a.example', 'https://b.example'], /expected one URL, got 2/],
    ['a header without a name', ['https://abcdefg.lambda-url.us-east-1.on.aws/', '-H', 'novalue'], /header "novalue" has no name/],
    ['both --data and --file', ['https://abcdefg.lambda-url.us-east-1.on.aws/', '-d', '{}', '-f', 'x.json'], /--data and --file/],
  ])('rejects %s', (_case, args, message) => {
    expect(() => parseCallArguments(args)).toThrow(message);
  });
});
