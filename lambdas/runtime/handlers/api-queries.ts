import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';

import { deadlineFromContext } from '../executor/request-deadline';
import { logger } from '../logger';
import { publishRequestMetrics } from '../metrics/request-metrics';
import type { QueryOutcome } from '../query/query-outcome';
import { parseQueryRequest, type QueryRequest } from '../request/query-request';
import { RequestError } from '../request/request-error';
import { roundMs, summarize, toQueryEvent } from '../streaming/events';
import { getRuntimeContext, type RuntimeContext } from '../runtime-context';
import { assertPost, decodeBody, internalErrorBody } from './http-body';

const log = logger.createChild({ persistentKeys: { component: 'api-handler' } });

const JSON_HEADERS = { 'content-type': 'application/json', 'cache-control': 'no-store' };

/**
 * Serves `POST /query` behind API Gateway: the same request as the stream, returned as one
 * JSON document with the results in input order and a `Server-Timing` header.
 */
export async function answerQueries(
  event: APIGatewayProxyEvent,
  context: Context,
  runtimeOverride?: RuntimeContext,
): Promise<APIGatewayProxyResult> {
  const startedAt = performance.now();
  let outcomes: QueryOutcome[] = [];
  let request: QueryRequest | undefined;
  let runtime: RuntimeContext | undefined;

  try {
    runtime = runtimeOverride ?? (await getRuntimeContext());
    assertPost(event.httpMethod);
    request = parseQueryRequest(decodeBody(event.body, event.isBase64Encoded), runtime.serverNames);

    // API Gateway shows no disconnect to the function, so only the deadline ends pending queries here.
    // Outcomes are collected as they come, so a failure part-way still counts the queries already finished.
    outcomes = await runtime.runner.run(request, {
      onOutcome: (outcome) => outcomes.push(outcome),
      caller: event.requestContext?.identity?.userArn ?? undefined,
      deadlineAt: deadlineFromContext(context),
    });
    const summary = summarize(outcomes, performance.now() - startedAt);
    return {
      statusCode: 200,
      headers: { ...JSON_HEADERS, 'server-timing': serverTiming(summary.cacheMs, summary.upstreamMs, summary.durationMs) },
      body: JSON.stringify({ requestId: context.awsRequestId, results: outcomes.map(toQueryEvent), summary }),
    };
  } catch (error) {
    if (error instanceof RequestError) {
      log.info('Request rejected', { code: error.code, field: error.field, requestId: context.awsRequestId });
      return { statusCode: error.statusCode, headers: JSON_HEADERS, body: JSON.stringify(error.toBody()) };
    }
    log.error('Request failed', { error, requestId: context.awsRequestId });
    return { statusCode: 500, headers: JSON_HEADERS, body: JSON.stringify(internalErrorBody(context.awsRequestId)) };
  } finally {
    await runtime?.cache.settle();
    publishRequestMetrics({ outcomes, durationMs: performance.now() - startedAt, queries: request?.queries });
  }
}

/**
 * Formats the `Server-Timing` header. Cache and upstream times are sums over the queries, which
 * run in parallel, so they can exceed the total, and their descriptions state that.
 */
function serverTiming(cacheMs: number, upstreamMs: number, totalMs: number): string {
  return `cache;desc="sum of lookups";dur=${roundMs(cacheMs)}, upstream;desc="sum of calls";dur=${roundMs(upstreamMs)}, total;dur=${roundMs(totalMs)}`;
}
