import type { Writable } from 'node:stream';

import type { Context, LambdaFunctionURLEvent } from 'aws-lambda';

import { logger } from '../logger';
import { publishRequestMetrics } from '../metrics/request-metrics';
import type { QueryOutcome } from '../query/query-outcome';
import { parseQueryRequest } from '../request/query-request';
import { RequestError } from '../request/request-error';
import { summarize, toNdjsonLine, toQueryEvent, type StreamEvent } from '../streaming/events';
import { getRuntimeContext, type RuntimeContext } from '../runtime-context';
import { assertPost, decodeBody, internalErrorBody } from './http-body';

const NDJSON_HEADERS = {
  'content-type': 'application/x-ndjson; charset=utf-8',
  'cache-control': 'no-store',
  // Asks proxies in front of a local host not to buffer the stream.
  'x-accel-buffering': 'no',
};

const log = logger.createChild({ persistentKeys: { component: 'stream-handler' } });

/**
 * Serves one function URL request as an NDJSON stream: a `start` event at once, one
 * `result` or `error` event per query in completion order, and an `end` event. The stream
 * is ended and metrics are published on every path.
 */
export async function streamQueries(
  event: LambdaFunctionURLEvent,
  responseStream: Writable,
  context: Context,
  runtimeOverride?: RuntimeContext,
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
      disconnect.abort(new Error('client disconnected'));
    }
  });

  const write = (streamEvent: StreamEvent): void => {
    stream?.write(toNdjsonLine(streamEvent));
  };

  try {
    runtime = runtimeOverride ?? (await getRuntimeContext());
    let request;
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

    stream = awslambda.HttpResponseStream.from(responseStream, { statusCode: 200, headers: NDJSON_HEADERS });
    write({ type: 'start', requestId: context.awsRequestId, queries: request.queries.length });
    timeToFirstByteMs = performance.now() - startedAt;

    await runtime.runner.run(request, {
      signal: disconnect.signal,
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
    publishRequestMetrics({ outcomes, durationMs: performance.now() - startedAt, timeToFirstByteMs });
  }
}

/** Function URL events carry the signer's identity under `authorizer.iam` when auth is AWS_IAM. */
interface IamAuthorizedContext {
  readonly authorizer?: { readonly iam?: { readonly userArn?: string } };
}

/** Returns the ARN of the IAM principal that signed the request, or undefined when auth is NONE. */
function iamCaller(event: LambdaFunctionURLEvent): string | undefined {
  return (event.requestContext as IamAuthorizedContext | undefined)?.authorizer?.iam?.userArn;
}

/** Ends a stream and waits until it is flushed, or until it fails because the client left. */
function endStream(stream: Writable): Promise<void> {
  return new Promise((resolve) => {
    if (stream.writableEnded) {
      resolve();
      return;
    }
    stream.once('error', () => resolve());
    stream.end(() => resolve());
  });
}
