import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import type { Context, LambdaFunctionURLEvent } from 'aws-lambda';
import type { Writable } from 'node:stream';

import { installLambdaStreamingGlobal } from '../../../local/lambda-streaming';
import { createFunctionUrlServer } from '../../../local/local-hosts';

/** One EMF document as Powertools writes it to stdout. */
export interface EmfDocument {
  readonly _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[] };
  readonly [key: string]: unknown;
}

/**
 * Collects the EMF documents that Powertools writes to stdout, as CloudWatch Logs would
 * receive them. Call `start` in `beforeAll` after the runtime is required, and `jest.restoreAllMocks` after.
 */
export class EmfCapture {
  readonly documents: EmfDocument[] = [];

  start(): void {
    jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      const text = String(chunk);
      if (text.includes('"_aws"')) {
        this.documents.push(JSON.parse(text) as EmfDocument);
      }
      return true;
    });
  }

  clear(): void {
    this.documents.length = 0;
  }

  /** Documents that contain the metric `name`. */
  documentsWith(name: string): EmfDocument[] {
    return this.documents.filter((document) => document._aws.CloudWatchMetrics[0].Metrics.some((metric) => metric.Name === name));
  }

  /** Values of one metric over the documents collected so far, optionally only where a dimension has a value. */
  valuesOf(name: string, dimension?: { readonly [key: string]: string }): number[] {
    return this.documentsWith(name)
      .filter((document) => Object.entries(dimension ?? {}).every(([key, value]) => document[key] === value))
      .flatMap((document) => ([] as number[]).concat(document[name] as number | number[]));
  }
}

/** The signature of `streamQueries` with the runtime context bound by the caller. */
export type StreamInvocation = (event: LambdaFunctionURLEvent, responseStream: Writable, context: Context) => Promise<void>;

/** A streaming invocation hosted on loopback. */
export interface StreamHost {
  readonly url: string;
  /**
   * Resolves once every invocation has returned. A handler publishes its metrics after the
   * response has ended, so a test waits for this before it reads them.
   */
  idle(): Promise<void>;
  close(): Promise<void>;
}

/** Hosts a streaming invocation on loopback as a function URL. */
export async function hostStream(invoke: StreamInvocation): Promise<StreamHost> {
  installLambdaStreamingGlobal();
  const running = new Set<Promise<void>>();
  const handler = awslambda.streamifyResponse(async (event, responseStream, context) => {
    const invocation = invoke(event as LambdaFunctionURLEvent, responseStream, context);
    running.add(invocation);
    try {
      await invocation;
    } finally {
      running.delete(invocation);
    }
  });
  const server: Server = createFunctionUrlServer(handler, 'metrics-test');
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    idle: async () => {
      await Promise.allSettled([...running]);
    },
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
