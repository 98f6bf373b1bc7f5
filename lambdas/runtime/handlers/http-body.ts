import { RequestError } from '../request/request-error';

/** Decodes the body of a function URL or API Gateway event, which base64-encodes binary bodies. */
export function decodeBody(body: string | null | undefined, isBase64Encoded: boolean | undefined): string | undefined {
  if (body === null || body === undefined) {
    return undefined;
  }
  return isBase64Encoded ? Buffer.from(body, 'base64').toString('utf8') : body;
}

/** Rejects any HTTP method but POST, before the body is read. */
export function assertPost(method: string | undefined): void {
  if (method?.toUpperCase() !== 'POST') {
    throw new RequestError('method_not_allowed', `Method ${method ?? '(none)'} is not allowed.`, 'Send the queries with POST.', undefined, 405);
  }
}

/** Builds the JSON body of an unexpected failure: a stable code and the request id, never a stack. */
export function internalErrorBody(requestId: string): { error: { code: string; message: string; fix: string } } {
  return {
    error: {
      code: 'internal_error',
      message: `The request failed inside mcp-accelerator (request id ${requestId}).`,
      fix: 'Retry the request; if it fails again, look up the request id in the function logs.',
    },
  };
}
