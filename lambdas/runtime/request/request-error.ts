/** Stable codes of request errors, shared by the HTTP status and the JSON body. */
export type RequestErrorCode =
  | 'invalid_json'
  | 'invalid_request'
  | 'unknown_server'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'method_not_allowed'
  | 'route_not_found'
  | 'metrics_unavailable';

/** JSON body of every 4xx response: what failed, on which field, and how to fix it. */
export interface RequestErrorBody {
  readonly error: {
    readonly code: RequestErrorCode;
    readonly message: string;
    /** Path of the offending field, such as `queries[2].server`, where one field is at fault. */
    readonly field?: string;
    readonly fix: string;
  };
}

/** Raised before any upstream call when a request cannot be served as sent. */
export class RequestError extends Error {
  constructor(
    readonly code: RequestErrorCode,
    message: string,
    readonly fix: string,
    readonly field?: string,
    readonly statusCode = 400,
  ) {
    super(message);
    this.name = 'RequestError';
  }

  /** Builds the response body. Only the fields chosen here reach the client, never a stack. */
  toBody(): RequestErrorBody {
    return { error: { code: this.code, message: this.message, field: this.field, fix: this.fix } };
  }
}
