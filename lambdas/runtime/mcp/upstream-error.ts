import { ProtocolError, SdkError, SdkErrorCode } from '@modelcontextprotocol/client';

/** Stable codes of the ways one query can fail after the request was accepted. */
export type QueryErrorCode =
  | 'upstream_timeout'
  | 'upstream_unreachable'
  | 'upstream_error'
  | 'protocol_error'
  | 'tool_error'
  | 'not_cached'
  | 'aborted'
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
  if (error instanceof SdkError && error.code === SdkErrorCode.RequestTimeout) {
    return new QueryError('upstream_timeout', `Server "${serverName}" did not answer within ${timeoutMs} ms.`, { cause: error });
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
  if (error instanceof SdkError && (error.code === SdkErrorCode.ConnectionClosed || error.code === SdkErrorCode.SendFailed)) {
    return new QueryError('upstream_unreachable', `Server "${serverName}" could not be reached: ${error.message}`, { cause: error });
  }
  if (error instanceof TypeError && /fetch failed/i.test(error.message)) {
    const reason = error.cause instanceof Error ? error.cause.message : error.message;
    return new QueryError('upstream_unreachable', `Server "${serverName}" could not be reached: ${reason}`, { cause: error });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new QueryError('upstream_error', `The call to server "${serverName}" failed: ${message}`, { cause: error });
}
