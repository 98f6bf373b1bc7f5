import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

import type { APIGatewayProxyEvent, LambdaFunctionURLEvent } from 'aws-lambda';

/** Largest request body that Lambda accepts for a synchronous invocation, in bytes (6 MB). */
export const MAX_INVOKE_PAYLOAD_BYTES = 6 * 1024 * 1024;

/** Reads a whole request body, rejecting one over the Lambda payload limit. */
export async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_INVOKE_PAYLOAD_BYTES) {
      throw new RangeError(`request body over ${MAX_INVOKE_PAYLOAD_BYTES} bytes`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/**
 * Tells whether a body goes to the handler as text. Function URLs and API Gateway pass
 * text types as they are and base64-encode the rest.
 */
function isTextContent(contentType: string | undefined): boolean {
  if (contentType === undefined) {
    return false;
  }
  return /^text\/|[/+](json|xml|javascript|x-www-form-urlencoded)\b/i.test(contentType);
}

function encodeBody(body: Buffer, contentType: string | undefined): { body?: string; isBase64Encoded: boolean } {
  if (body.length === 0) {
    return { isBase64Encoded: false };
  }
  return isTextContent(contentType)
    ? { body: body.toString('utf8'), isBase64Encoded: false }
    : { body: body.toString('base64'), isBase64Encoded: true };
}

/** Lowercases header names and joins repeated values with commas, as function URLs do. */
function singleValueHeaders(request: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined && name !== 'cookie') {
      headers[name] = Array.isArray(value) ? value.join(',') : value;
    }
  }
  return headers;
}

function queryParameters(url: URL): Record<string, string> | undefined {
  const parameters: Record<string, string> = {};
  for (const name of new Set(url.searchParams.keys())) {
    parameters[name] = url.searchParams.getAll(name).join(',');
  }
  return Object.keys(parameters).length > 0 ? parameters : undefined;
}

/** Builds a function URL event (payload format 2.0) from a local HTTP request. */
export function toFunctionUrlEvent(request: IncomingMessage, body: Buffer): LambdaFunctionURLEvent {
  const url = new URL(request.url ?? '/', 'http://localhost');
  const headers = singleValueHeaders(request);
  const now = new Date();
  const cookies = request.headers.cookie?.split(/;\s*/).filter((cookie) => cookie !== '');
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: url.pathname,
    rawQueryString: url.search.replace(/^\?/, ''),
    cookies,
    headers,
    queryStringParameters: queryParameters(url),
    requestContext: {
      accountId: 'anonymous',
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: 'local',
      http: {
        method: request.method ?? 'GET',
        path: url.pathname,
        protocol: `HTTP/${request.httpVersion}`,
        sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey: '$default',
      stage: '$default',
      time: now.toISOString(),
      timeEpoch: now.getTime(),
    },
    ...encodeBody(body, headers['content-type']),
  };
}

/** Builds an API Gateway REST proxy event (payload format 1.0) from a local HTTP request. */
export function toRestApiEvent(request: IncomingMessage, body: Buffer, resource: string, stage: string): APIGatewayProxyEvent {
  const url = new URL(request.url ?? '/', 'http://localhost');
  const headers = singleValueHeaders(request);
  const multiValueHeaders = Object.fromEntries(
    Object.entries(request.headersDistinct).map(([name, values]) => [name, values ?? []]),
  );
  const multiValueQueryStringParameters: Record<string, string[]> = {};
  for (const name of new Set(url.searchParams.keys())) {
    multiValueQueryStringParameters[name] = url.searchParams.getAll(name);
  }
  const encoded = encodeBody(body, headers['content-type']);
  const now = new Date();
  return {
    resource,
    path: url.pathname,
    httpMethod: request.method ?? 'GET',
    headers,
    multiValueHeaders,
    queryStringParameters: queryParameters(url) ?? null,
    multiValueQueryStringParameters: Object.keys(multiValueQueryStringParameters).length > 0 ? multiValueQueryStringParameters : null,
    pathParameters: null,
    stageVariables: null,
    body: encoded.body ?? null,
    isBase64Encoded: encoded.isBase64Encoded,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      authorizer: null,
      protocol: `HTTP/${request.httpVersion}`,
      httpMethod: request.method ?? 'GET',
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId: null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
        user: null,
        userAgent: headers['user-agent'] ?? null,
        userArn: null,
      },
      path: `/${stage}${url.pathname}`,
      stage,
      requestId: randomUUID(),
      requestTimeEpoch: now.getTime(),
      resourceId: 'local',
      resourcePath: resource,
    },
  };
}
