import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';

import { logger } from '../logger';
import { RequestError } from '../request/request-error';
import { getRuntimeContext, type RuntimeContext } from '../runtime-context';
import { checkHealth, invalidateCache, listServers, readMetrics, type JsonResponse } from './api-admin';
import { answerQueries } from './api-queries';
import { internalErrorBody } from './http-body';

const log = logger.createChild({ persistentKeys: { component: 'api-router' } });

const JSON_HEADERS = { 'content-type': 'application/json', 'cache-control': 'no-store' };

type AdminRoute = (event: APIGatewayProxyEvent, runtime: RuntimeContext) => JsonResponse | Promise<JsonResponse>;

/** Routes of the REST API beside `POST /query`, by method and resource path. */
const ADMIN_ROUTES: Record<string, AdminRoute> = {
  'GET /servers': (_event, runtime) => listServers(runtime),
  'GET /health': (_event, runtime) => checkHealth(runtime),
  'DELETE /cache': (event, runtime) => invalidateCache(event, runtime),
  'GET /metrics': (_event, runtime) => readMetrics(runtime),
};

/** Every route of the REST API, for the 404 message. */
export const API_ROUTES = ['POST /query', ...Object.keys(ADMIN_ROUTES)];

/** Serves one REST API request: `POST /query` and the admin routes. */
export async function handleApiRequest(event: APIGatewayProxyEvent, context: Context, runtimeOverride?: RuntimeContext): Promise<APIGatewayProxyResult> {
  const route = `${event.httpMethod} ${event.resource ?? event.path}`;
  if (route === 'POST /query') {
    return answerQueries(event, context, runtimeOverride);
  }

  const admin = ADMIN_ROUTES[route];
  try {
    if (admin === undefined) {
      throw new RequestError('route_not_found', `No route for ${route}.`, `Use one of: ${API_ROUTES.join(', ')}.`, undefined, 404);
    }
    const runtime = runtimeOverride ?? (await getRuntimeContext());
    const response = await admin(event, runtime);
    return { statusCode: response.statusCode, headers: JSON_HEADERS, body: JSON.stringify(response.body) };
  } catch (error) {
    if (error instanceof RequestError) {
      log.info('Request rejected', { route, code: error.code, field: error.field, requestId: context.awsRequestId });
      return { statusCode: error.statusCode, headers: JSON_HEADERS, body: JSON.stringify(error.toBody()) };
    }
    log.error('Request failed', { route, error, requestId: context.awsRequestId });
    return { statusCode: 500, headers: JSON_HEADERS, body: JSON.stringify(internalErrorBody(context.awsRequestId)) };
  }
}
