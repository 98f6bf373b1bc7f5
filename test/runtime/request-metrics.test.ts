import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import type { LambdaFunctionURLEvent } from 'aws-lambda';

import { resolveServer } from '../../lambdas/runtime/config/server-config';
import { launchBundledServer, type LaunchedServer } from '../../local/bundled-servers';
import { installLambdaStreamingGlobal } from '../../local/lambda-streaming';
import { createFunctionUrlServer } from '../../local/local-hosts';
import { postForEvents } from '../support/ndjson-client';

// Metrics read these variables when their module loads, so the runtime is required below.
process.env.POWERTOOLS_METRICS_DISABLED = 'false';
process.env.POWERTOOLS_METRICS_NAMESPACE = 'McpAcceleratorTest';

type Runtime = typeof import('../../lambdas/runtime/index');

interface EmfDocument {
  readonly _aws: { CloudWatchMetrics: { Dimensions: string[][]; Metrics: { Name: string }[] }[] };
  readonly [key: string]: unknown;
}

describe('request metrics', () => {
  let runtime: Runtime;
  let upstream: LaunchedServer;
  let server: Server;
  let url: string;
  let closeClients: () => Promise<void> = async () => undefined;
  let failAfterFirstByte = false;
  const emitted: EmfDocument[] = [];

  beforeAll(async () => {
    runtime = require('../../lambdas/runtime/index') as Runtime;
    upstream = await launchBundledServer('server-everything');
    const context = runtime.createRuntimeContext([resolveServer('everything', { url: upstream.url, cache: { ttlSeconds: 60, cacheableTools: ['echo'] } })]);
    closeClients = () => context.clients.close();
    // A chaos wrapper: the runner fails after the stream has started, as a bug would.
    const chaotic = {
      ...context,
      runner: {
        run: (...args: Parameters<typeof context.runner.run>) =>
          failAfterFirstByte ? Promise.reject(new Error('injected failure')) : context.runner.run(...args),
      },
    } as typeof context;

    installLambdaStreamingGlobal();
    const handler = awslambda.streamifyResponse(async (event, responseStream, lambdaContext) => {
      await runtime.streamQueries(event as LambdaFunctionURLEvent, responseStream, lambdaContext, chaotic);
    });
    server = createFunctionUrlServer(handler, 'metrics-test');
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;

    jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      const text = String(chunk);
      if (text.includes('"_aws"')) {
        emitted.push(JSON.parse(text) as EmfDocument);
      }
      return true;
    });
  });

  afterAll(async () => {
    jest.restoreAllMocks();
    await new Promise((resolve) => server?.close(resolve));
    await closeClients();
    await upstream?.stop();
  });

  beforeEach(() => {
    emitted.length = 0;
    failAfterFirstByte = false;
  });

  /** Returns the values of one metric over the documents emitted so far. */
  function valuesOf(name: string): number[] {
    return emitted.flatMap((document) => {
      const value = document[name];
      return value === undefined ? [] : ([] as number[]).concat(value as number | number[]);
    });
  }

  it('publishes request, query and upstream metrics on success', async () => {
    const response = await postForEvents(url, { queries: [{ server: 'everything', tool: 'echo', arguments: { message: 'metrics' } }] });

    expect(response.events.at(-1)?.event.type).toBe('end');
    expect(valuesOf('RequestLatency')).toHaveLength(1);
    expect(valuesOf('TimeToFirstByte')).toHaveLength(1);
    expect(valuesOf('CacheMiss')).toEqual([1]);
    expect(valuesOf('UpstreamLatency')).toHaveLength(1);
    const upstreamDocument = emitted.find((document) => document.UpstreamLatency !== undefined)!;
    expect(upstreamDocument.server).toBe('everything');
    expect(upstreamDocument._aws.CloudWatchMetrics[0].Dimensions).toEqual([['service', 'server']]);
  });

  it('publishes only its own metrics on a warm invocation', async () => {
    await postForEvents(url, { queries: [{ server: 'everything', tool: 'echo', arguments: { message: 'warm' } }] });
    emitted.length = 0;

    await postForEvents(url, { queries: [{ server: 'everything', tool: 'echo', arguments: { message: 'warm' } }] });

    expect(valuesOf('RequestLatency')).toHaveLength(1);
    expect(valuesOf('CacheHit')).toEqual([1]);
    expect(valuesOf('CacheMiss')).toEqual([]);
    expect(valuesOf('ColdStart')).toEqual([]);
  });

  it('publishes metrics for a rejected request', async () => {
    const response = await postForEvents(url, 'not json');

    expect(response.status).toBe(400);
    expect(valuesOf('RequestLatency')).toHaveLength(1);
  });

  it('ends the stream and publishes metrics after a failure past the first byte', async () => {
    failAfterFirstByte = true;

    const response = await postForEvents(url, { queries: [{ server: 'everything', tool: 'echo', arguments: { message: 'x' } }] });

    expect(response.events.map(({ event }) => event.type)).toEqual(['start', 'error', 'end']);
    expect(response.events[1].event.error).toMatchObject({ code: 'internal_error' });
    expect(valuesOf('RequestLatency')).toHaveLength(1);
    expect(valuesOf('TimeToFirstByte')).toHaveLength(1);
  });
});
