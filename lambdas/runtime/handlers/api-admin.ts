import type { APIGatewayProxyEvent } from 'aws-lambda';
import { z } from 'zod';

import { logger } from '../logger';
import { metricsSourceOverride, type MetricsSource } from '../metrics/metrics-report';
import { QUERY_METHODS } from '../request/query-request';
import { RequestError } from '../request/request-error';
import type { RuntimeContext } from '../runtime-context';

/** Time allowed for each upstream's ping in `GET /health`, in ms. */
export const HEALTH_PING_TIMEOUT_MS = 2_000;

/** A JSON response of the admin routes. */
export interface JsonResponse {
  readonly statusCode: number;
  readonly body: unknown;
}

/** `GET /servers`: the configured servers and their cache policies. */
export function listServers(runtime: RuntimeContext): JsonResponse {
  const servers = [...runtime.servers.values()].map((server) => ({
    name: server.name,
    url: server.url,
    description: server.description,
    cache: server.cache,
  }));
  return { statusCode: 200, body: { servers } };
}

/**
 * `GET /health`: whether L2 responds and the state of its circuit breaker, and whether each
 * upstream responds to an MCP ping, with latencies. The status is 503 when any part is down, so
 * a load balancer or a synthetic check can act on it.
 */
export async function checkHealth(runtime: RuntimeContext): Promise<JsonResponse> {
  const l2 = runtime.cache.l2;
  const l2PingMs = await l2?.ping();
  const cache = l2 === undefined ? { l2: 'not_configured' } : { l2: l2PingMs === undefined ? 'unreachable' : 'ok', latencyMs: round(l2PingMs), breaker: l2.guard.breaker.state };

  const upstreams = await Promise.all(
    runtime.serverNames.map(async (name) => {
      try {
        return { server: name, status: 'ok', latencyMs: round(await runtime.clients.ping(name, HEALTH_PING_TIMEOUT_MS)) };
      } catch (error) {
        return { server: name, status: 'unreachable', error: error instanceof Error ? error.message : String(error) };
      }
    }),
  );

  const healthy = cache.l2 !== 'unreachable' && upstreams.every((upstream) => upstream.status === 'ok');
  return { statusCode: healthy ? 200 : 503, body: { status: healthy ? 'ok' : 'degraded', cache, upstreams } };
}

const log = logger.createChild({ persistentKeys: { component: 'api-admin' } });

/**
 * `GET /metrics`: the last hour's figures of every catalogue metric with the hit rate, and the
 * cache cluster's status. In AWS they come from CloudWatch and ElastiCache, and in local mode
 * from the local host's own process, in the same shape.
 * @throws RequestError 502 when CloudWatch cannot be read
 */
export async function readMetrics(runtime: RuntimeContext): Promise<JsonResponse> {
  const source = metricsSourceOverride() ?? loadCloudWatchSource();
  try {
    return { statusCode: 200, body: await source.read(runtime.serverNames) };
  } catch (error) {
    log.error('Reading metrics failed', { error });
    throw new RequestError(
      'metrics_unavailable',
      `Reading the metrics from CloudWatch failed: ${error instanceof Error ? error.message : String(error)}.`,
      'Check that the function may call cloudwatch:GetMetricData, then retry.',
      undefined,
      502,
    );
  }
}

const invalidationSchema = z
  .object({
    server: z.string().min(1),
    method: z.enum(QUERY_METHODS).optional(),
    tool: z.string().min(1).optional(),
  })
  .strict();

/**
 * `DELETE /cache`: invalidates a server's cached results, or one method's or one tool's, in
 * O(1) through the generation counters. The scope comes from the query string or a JSON body:
 * `{ "server": "docs", "tool": "search" }`.
 */
export async function invalidateCache(event: APIGatewayProxyEvent, runtime: RuntimeContext): Promise<JsonResponse> {
  const scope = parseScope(event);
  if (!runtime.servers.has(scope.server)) {
    throw new RequestError('unknown_server', `Server "${scope.server}" is not configured.`, `Use one of: ${runtime.serverNames.join(', ')}.`, 'server');
  }

  const { propagated } = await runtime.cache.generations.bump(scope);
  // No L1 entry is dropped: the keys of the scope change with its generation, so this instance
  // stops using them at once and the others within the generation cache TTL, while the rest of
  // the server's entries stay.

  if (runtime.cache.l2 === undefined) {
    // Without L2 each instance has its own cache, and this one is invalidated.
    return { statusCode: 200, body: { invalidated: scope, l2: 'not_configured', propagated: false } };
  }
  if (!propagated) {
    return {
      statusCode: 202,
      body: { invalidated: scope, l2: 'unreachable', propagated, note: 'Only this instance applied the invalidation. Retry once L2 is reachable.' },
    };
  }
  return { statusCode: 200, body: { invalidated: scope, l2: 'ok', propagated } };
}

function parseScope(event: APIGatewayProxyEvent): z.infer<typeof invalidationSchema> {
  let document: unknown = event.queryStringParameters ?? {};
  if (event.body !== null && event.body.trim() !== '') {
    try {
      document = JSON.parse(event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body);
    } catch {
      throw new RequestError('invalid_json', 'The request body is not valid JSON.', 'Send {"server":"NAME"} with an optional "method" or "tool", or use query parameters.');
    }
  }
  const parsed = invalidationSchema.safeParse(document);
  if (!parsed.success) {
    const [issue] = parsed.error.issues;
    const field = issue.path.join('.') || undefined;
    throw new RequestError('invalid_request', `Invalid ${field ?? 'request'}: ${issue.message}.`, 'Name the server to invalidate, and optionally one method or one tool of it.', field);
  }
  if (parsed.data.method !== undefined && parsed.data.tool !== undefined) {
    throw new RequestError('invalid_request', 'Set "method" or "tool", not both.', 'A tool invalidation already targets tools/call.', 'tool');
  }
  return parsed.data;
}

function round(durationMs: number | undefined): number | undefined {
  return durationMs === undefined ? undefined : Math.round(durationMs * 10) / 10;
}

/**
 * Loads the CloudWatch source on the first `GET /metrics`. A `require` here, not an import at
 * the top, keeps the CloudWatch and ElastiCache SDK clients out of every cold start: the
 * bundle evaluates a required module only when this line runs.
 */
function loadCloudWatchSource(): MetricsSource {
  return (require('../metrics/cloudwatch-source') as typeof import('../metrics/cloudwatch-source')).cloudWatchSource;
}
