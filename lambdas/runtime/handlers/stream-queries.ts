import type { Writable } from 'node:stream';

import type { Context, LambdaFunctionURLEvent } from 'aws-lambda';

import { deadlineFromContext } from '../executor/request-deadline';
import { RUNTIME_ENV } from '../config/environment';
import { logger } from '../logger';
import { QueryError } from '../mcp/upstream-error';
import { publishRequestMetrics } from '../metrics/request-metrics';
import type { QueryOutcome } from '../query/query-outcome';
import { parseQueryRequest, type QueryRequest } from '../request/query-request';
import { RequestError } from '../request/request-error';
import { summarize, toQueryEvent, type StreamEvent } from '../streaming/events';
import { chooseStreamMode, createStreamEncoder, STREAM_HEADERS, type StreamEncoder } from '../streaming/stream-modes';
import { getRuntimeContext, type RuntimeContext } from '../runtime-context';
import { assertPost, decodeBody, internalErrorBody } from './http-body';

/**
 * Default minimum size of each streamed write, in bytes: no padding.
 * NOTE: Lambda's documentation states no size below which a streamed chunk is held back, so
 * padding stays off until one is measured on a deployed function URL.
 */
export const DEFAULT_PAD_TO_BYTES = 0;

/** Options of the streaming handler. */
export interface StreamQueriesOptions {
  /**
   * Minimum size of each write of an `ndjson` or `sse` response, in bytes, so that a front end
   * that buffers small chunks sends each event at once. Padding never changes the parsed events.
   * @default DEFAULT_PAD_TO_BYTES
   */
  readonly padToBytes?: number;
}

const log = logger.createChild({ persistentKeys: { component: 'stream-handler' } });

/**
 * Serves one function URL request as a stream: a `start` event at once, one `result` or
 * `error` event per query in completion order, and an `end` event, encoded in the mode that
 * the request's `mode` or Accept header picks. Pending queries end at the deadline taken from
 * the Lambda's remaining time, or when the client disconnects. The stream is ended and
 * metrics are published on every path.
 */
export async function streamQueries(
  event: LambdaFunctionURLEvent,
  responseStream: Writable,
  context: Context,
  runtimeOverride?: RuntimeContext,
  options: StreamQueriesOptions = {},
): Promise<void> {
  const startedAt = performance.now();
  const outcomes: QueryOutcome[] = [];
  let timeToFirstByteMs: number | undefined;
  let stream: Writable | undefined;
  let runtime: RuntimeContext | undefined;

  // A client that disconnects closes the stream before it is ended: pending calls are aborted.
  const disconnect = new AbortController();
  responseStream.once('close', () => {
    if (!responseStream.writableFinished) {
      disconnect.abort(new QueryError('aborted', 'The client closed the connection before this query finished.'));
    }
  });

  let encoder: StreamEncoder | undefined;
  let request: QueryRequest | undefined;
  const write = (streamEvent: StreamEvent): void => {
    const text = encoder?.encode(streamEvent) ?? '';
    // A stream that the client closed is destroyed: writing to it would raise an error.
    if (text !== '' && stream !== undefined && !stream.destroyed) {
      stream.write(text);
    }
  };

  try {
    runtime = runtimeOverride ?? (await getRuntimeContext());
    try {
      assertPost(event.requestContext?.http?.method);
      request = parseQueryRequest(decodeBody(event.body, event.isBase64Encoded), runtime.serverNames);
    } catch (error) {
      if (!(error instanceof RequestError)) {
        throw error;
      }
      log.info('Request rejected', { code: error.code, field: error.field, requestId: context.awsRequestId });
      stream = awslambda.HttpResponseStream.from(responseStream, { statusCode: error.statusCode, headers: { 'content-type': 'application/json' } });
      stream.write(JSON.stringify(error.toBody()));
      return;
    }

    encoder = createStreamEncoder(chooseStreamMode(request.mode, headerOf(event, 'accept')), options.padToBytes ?? padBytesFromEnvironment());
    stream = awslambda.HttpResponseStream.from(responseStream, { statusCode: 200, headers: { 'content-type': encoder.contentType, ...STREAM_HEADERS } });
    write({ type: 'start', requestId: context.awsRequestId, queries: request.queries.length });
    timeToFirstByteMs = performance.now() - startedAt;

    await runtime.runner.run(request, {
      signal: disconnect.signal,
      deadlineAt: deadlineFromContext(context),
      caller: iamCaller(event),
      onOutcome: (outcome) => {
        outcomes.push(outcome);
        write(toQueryEvent(outcome));
      },
    });
    write({ type: 'end', summary: summarize(outcomes, performance.now() - startedAt) });
  } catch (error) {
    log.error('Request failed', { error, requestId: context.awsRequestId });
    if (stream === undefined) {
      stream = awslambda.HttpResponseStream.from(responseStream, { statusCode: 500, headers: { 'content-type': 'application/json' } });
      stream.write(JSON.stringify(internalErrorBody(context.awsRequestId)));
    } else {
      // Past the first byte the status is sent, so the failure becomes the last events.
      write({ type: 'error', error: internalErrorBody(context.awsRequestId).error });
      write({ type: 'end', summary: summarize(outcomes, performance.now() - startedAt) });
    }
  } finally {
    await endStream(stream ?? responseStream);
    // Cache writes and stale refreshes finish after the response, before the handler returns.
    await runtime?.cache.settle();
    publishRequestMetrics({ outcomes, durationMs: performance.now() - startedAt, timeToFirstByteMs, queries: request?.queries });
  }
}

/** Maximum padding accepted from the environment, in bytes: far above any front end's flush threshold. */
const MAX_PAD_BYTES = 65_536;

/** Reads the padding size that the stack sets, or the default when it is unset or invalid. */
function padBytesFromEnvironment(environment: NodeJS.ProcessEnv = process.env): number {
  const text = environment[RUNTIME_ENV.streamPadBytes];
  if (text === undefined || text === '') {
    return DEFAULT_PAD_TO_BYTES;
  }
  const bytes = Number(text);
  if (!Number.isInteger(bytes) || bytes < 0 || bytes > MAX_PAD_BYTES) {
    log.warn('Invalid stream padding ignored', { variable: RUNTIME_ENV.streamPadBytes, value: text, maximum: MAX_PAD_BYTES });
    return DEFAULT_PAD_TO_BYTES;
  }
  return bytes;
}

/** Function URL events carry the signer's identity under `authorizer.iam` when auth is AWS_IAM. */
interface IamAuthorizedContext {
  readonly authorizer?: { readonly iam?: { readonly userArn?: string } };
}

/** Returns the ARN of the IAM principal that signed the request, or undefined when auth is NONE. */
function iamCaller(event: LambdaFunctionURLEvent): string | undefined {
  return (event.requestContext as IamAuthorizedContext | undefined)?.authorizer?.iam?.userArn;
}

/** Returns a request header; function URL events carry header names in lower case. */
function headerOf(event: LambdaFunctionURLEvent, name: string): string | undefined {
  return event.headers?.[name] ?? undefined;
}

/** Ends a stream and waits until it is flushed, or until it fails because the client left. */
function endStream(stream: Writable): Promise<void> {
  return new Promise((resolve) => {
    if (stream.writableEnded || stream.destroyed) {
      resolve();
      return;
    }
    stream.once('error', () => resolve());
    stream.end(() => resolve());
  });
}
