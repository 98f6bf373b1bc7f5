import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';

import { readBody, toFunctionUrlEvent, toRestApiEvent } from './http-events';
import { createLocalContext } from './lambda-context';
import { isStreamingHandler, LocalResponseStream } from './lambda-streaming';

/** Function timeout of the local hosts, in ms, as the stack sets for the deployed functions. */
export const LOCAL_FUNCTION_TIMEOUT_MS = 30_000;

/** Stage name in local REST API paths. */
export const LOCAL_STAGE = 'local';

type RestHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

/** A route of the local REST API: method, path and the handler behind it. */
export interface RestRoute {
  readonly method: string;
  readonly path: string;
  readonly handler: RestHandler;
}

function sendJson(response: ServerResponse, statusCode: number, body: unknown): void {
  response.writeHead(statusCode, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}

function sendHostError(response: ServerResponse, error: unknown): void {
  const tooLarge = error instanceof RangeError;
  console.error('local host: request failed:', error);
  if (!response.headersSent) {
    sendJson(response, tooLarge ? 413 : 500, {
      error: {
        code: tooLarge ? 'payload_too_large' : 'internal_error',
        message: tooLarge ? (error as Error).message : 'The local host failed to invoke the handler.',
        fix: tooLarge ? 'Send a smaller body.' : 'Read the error printed by npm start.',
      },
    });
  } else {
    response.destroy();
  }
}

function toOutgoingHeaders(result: APIGatewayProxyResult): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(result.headers ?? {})) {
    headers[name] = String(value);
  }
  for (const [name, values] of Object.entries(result.multiValueHeaders ?? {})) {
    headers[name] = values.map(String);
  }
  return headers;
}

/**
 * Hosts a streaming handler as a function URL does: every path and method reaches the
 * handler as a payload 2.0 event, and its response stream is written through as it comes.
 */
export function createFunctionUrlServer(handler: unknown, functionName: string): Server {
  if (!isStreamingHandler(handler)) {
    throw new TypeError(`${functionName} is not wrapped with awslambda.streamifyResponse`);
  }
  return createServer((request: IncomingMessage, response: ServerResponse) => {
    void (async () => {
      const event = toFunctionUrlEvent(request, await readBody(request));
      const responseStream = new LocalResponseStream(response);
      await handler(event, responseStream, createLocalContext({ functionName, timeoutMs: LOCAL_FUNCTION_TIMEOUT_MS }));
      if (!responseStream.writableEnded) {
        // Lambda ends the response when a streaming handler returns without ending it.
        responseStream.end();
      }
    })().catch((error: unknown) => sendHostError(response, error));
  });
}

/**
 * Hosts buffered handlers as an API Gateway REST API stage with Lambda proxy integrations:
 * `/{stage}/{path}` reaches the route's handler as a payload 1.0 event.
 */
export function createRestApiServer(routes: readonly RestRoute[], stage = LOCAL_STAGE): Server {
  return createServer((request: IncomingMessage, response: ServerResponse) => {
    void (async () => {
      const url = new URL(request.url ?? '/', 'http://localhost');
      const prefix = `/${stage}`;
      const path = url.pathname.startsWith(`${prefix}/`) ? url.pathname.slice(prefix.length) : undefined;
      const route = routes.find((candidate) => candidate.path === path && candidate.method === request.method);
      if (route === undefined) {
        const known = routes.map((candidate) => `${candidate.method} ${prefix}${candidate.path}`).join(', ');
        sendJson(response, 404, {
          error: { code: 'route_not_found', message: `No route for ${request.method} ${url.pathname}.`, fix: `Use one of: ${known}.` },
        });
        return;
      }

      const body = await readBody(request);
      const event = toRestApiEvent(request, body, route.path, stage);
      const result = await route.handler(event, createLocalContext({ functionName: 'api-query', timeoutMs: LOCAL_FUNCTION_TIMEOUT_MS }));
      const payload = result.isBase64Encoded ? Buffer.from(result.body, 'base64') : result.body;
      response.writeHead(result.statusCode, toOutgoingHeaders(result));
      response.end(payload);
    })().catch((error: unknown) => sendHostError(response, error));
  });
}
