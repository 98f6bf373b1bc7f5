import { ProtocolError, SdkError, SdkErrorCode, SdkHttpError } from '@modelcontextprotocol/client';

import { UpstreamAuthError } from './upstream-auth';

/** Stable codes of the ways one query can fail after the request was accepted. */
export type QueryErrorCode =
  | 'upstream_timeout'
  | 'upstream_unreachable'
  | 'upstream_error'
  | 'session_expired'
  | 'deadline_exceeded'
  | 'protocol_error'
  | 'tool_error'
  | 'not_cached'
  | 'aborted'
  | 'upstream_auth_unavailable'
  | 'internal_error';

/** A failed query, as reported in an `error` event. */
export class QueryError extends Error {
  constructor(
    readonly code: QueryErrorCode,
    message: string,
    options?: { cause?: unknown; readonly data?: unknown },
  ) {
    super(message, options);
    this.name = 'QueryError';
    this.data = options?.data;
  }

  readonly data?: unknown;
}

/**
 * Maps an error thrown by an MCP call to a query error with a stable code. The SDK's own
 * codes tell a timeout from a lost connection, and a JSON-RPC error from the server keeps
 * its code in `data` so the caller can act on it.
 */
export function classifyUpstreamError(error: unknown, serverName: string, timeoutMs: number): QueryError {
  if (error instanceof QueryError) {
    return error;
  }
  if (error instanceof UpstreamAuthError) {
    return new QueryError('upstream_auth_unavailable', error.message, { cause: error });
  }
  if (error instanceof SdkError && error.code === SdkErrorCode.RequestTimeout) {
    return new QueryError('upstream_timeout', `Server "${serverName}" did not respond within ${timeoutMs} ms.`, { cause: error });
  }
  if (error instanceof Error && error.name === 'AbortError') {
    return new QueryError('aborted', `The call to server "${serverName}" was aborted.`, { cause: error });
  }
  if (error instanceof ProtocolError) {
    return new QueryError('protocol_error', `Server "${serverName}" returned error ${error.code}: ${error.message}`, {
      cause: error,
      data: { jsonRpcCode: error.code },
    });
  }
  if (isUnknownSessionError(error)) {
    return new QueryError('session_expired', `Server "${serverName}" no longer knows the session: ${error.message}`, { cause: error });
  }
  const networkCause = findNetworkCause(error);
  if (networkCause !== undefined) {
    return new QueryError('upstream_unreachable', `Server "${serverName}" could not be reached: ${networkCause}`, { cause: error });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new QueryError('upstream_error', `The call to server "${serverName}" failed: ${message}`, { cause: error });
}

/** Tells whether an error is a network failure (refused, reset or dropped connection) that a fresh connection may not repeat. */
export function isNetworkFailure(error: unknown): boolean {
  return !(error instanceof QueryError) && findNetworkCause(error) !== undefined;
}

/**
 * Tells whether an error is a server's response for a session it no longer has: HTTP 404, as
 * the MCP specification requires, or HTTP 400 with a message about the session, as
 * server-everything (2026.8) returns. Only meaningful for a request that carried a session id.
 */
export function isUnknownSessionError(error: unknown): error is SdkHttpError {
  if (!(error instanceof SdkHttpError)) {
    return false;
  }
  const text = (error.data as { text?: unknown }).text;
  return error.status === 404 || (error.status === 400 && typeof text === 'string' && /session/i.test(text));
}

/** Socket error codes that mean the server could not be reached or dropped the connection. */
const NETWORK_ERROR_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT']);

/**
 * Looks through an error and its causes for a network failure, and describes it. fetch
 * reports those as a TypeError "fetch failed" whose cause has the socket error code.
 */
function findNetworkCause(error: unknown): string | undefined {
  let current: unknown = error;
  let fetchFailed = false;
  // Duck-typed, not `instanceof Error`: fetch's errors may come from another realm, as under jest.
  for (let depth = 0; depth < 5 && isErrorLike(current); depth += 1) {
    const code = current.code;
    if (code !== undefined && NETWORK_ERROR_CODES.has(code)) {
      return `${code} (${String(current.message)})`;
    }
    if (current instanceof SdkError && (current.code === SdkErrorCode.ConnectionClosed || current.code === SdkErrorCode.SendFailed)) {
      return current.message;
    }
    fetchFailed ||= /fetch failed/i.test(String(current.message));
    current = current.cause;
  }
  return fetchFailed ? 'fetch failed' : undefined;
}

function isErrorLike(value: unknown): value is { message?: unknown; code?: string; cause?: unknown } {
  return typeof value === 'object' && value !== null && 'message' in value;
}
