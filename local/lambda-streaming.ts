import type { ServerResponse } from 'node:http';
import { Writable } from 'node:stream';

/** Response metadata that `HttpResponseStream.from` sends before the body. */
interface ResponsePrelude {
  readonly statusCode?: number;
  readonly headers?: Record<string, string>;
  readonly cookies?: readonly string[];
}

/**
 * The response stream that the Lambda runtime hands a streaming handler, written through to
 * a local HTTP response. Like Lambda, it sends status and headers once, before the first
 * body byte: those of `HttpResponseStream.from`, or 200 with `application/octet-stream`.
 */
export class LocalResponseStream extends Writable {
  private contentType = 'application/octet-stream';
  private preludeSent = false;
  private bodyStarted = false;

  constructor(private readonly response: ServerResponse) {
    super();
    // A client that goes away destroys the stream, and the handler receives 'close'.
    response.once('close', () => {
      if (!response.writableFinished) {
        this.destroy();
      }
    });
  }

  /** Sets the content type sent when the handler writes without calling `HttpResponseStream.from`. */
  setContentType(contentType: string): void {
    this.contentType = contentType;
  }

  /** Sends status and headers. Lambda requires this before the first write, and so does this stream. */
  sendPrelude(prelude: ResponsePrelude): void {
    if (this.bodyStarted || this.preludeSent) {
      throw new Error('HttpResponseStream.from() must be called once, before the first write to the response stream');
    }
    this.preludeSent = true;
    const headers: Record<string, string | string[]> = { ...prelude.headers };
    if (prelude.cookies !== undefined && prelude.cookies.length > 0) {
      headers['set-cookie'] = [...prelude.cookies];
    }
    this.response.writeHead(prelude.statusCode ?? 200, headers);
    // Sends the headers now: a client sees the status before the first event.
    this.response.flushHeaders();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.ensurePrelude();
    this.bodyStarted = true;
    this.response.write(chunk, callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.ensurePrelude();
    this.response.end(callback);
  }

  private ensurePrelude(): void {
    if (!this.preludeSent) {
      this.sendPrelude({ statusCode: 200, headers: { 'content-type': this.contentType } });
    }
  }
}

type StreamingHandler = (event: unknown, responseStream: LocalResponseStream, context: unknown) => Promise<unknown>;

/** Marks a handler as streaming, as the Lambda runtime's `awslambda.streamifyResponse` does. */
const STREAMING_HANDLER = Symbol.for('mcp-accelerator.local.streaming-handler');

/**
 * Installs the `awslambda` global that the Lambda Node.js runtime provides to streaming
 * handlers, so the unchanged handler module runs locally. Call it before importing a handler.
 */
export function installLambdaStreamingGlobal(): void {
  const streamifyResponse = (handler: StreamingHandler): StreamingHandler =>
    Object.assign(handler, { [STREAMING_HANDLER]: true });

  const HttpResponseStream = {
    from(stream: Writable, prelude: ResponsePrelude): Writable {
      if (!(stream instanceof LocalResponseStream)) {
        throw new TypeError('HttpResponseStream.from() expects the response stream that the handler received');
      }
      stream.sendPrelude(prelude);
      return stream;
    },
  };

  Object.assign(globalThis, { awslambda: { streamifyResponse, HttpResponseStream } });
}

/** Tells whether a handler was wrapped with `awslambda.streamifyResponse`. */
export function isStreamingHandler(handler: unknown): handler is StreamingHandler {
  return typeof handler === 'function' && STREAMING_HANDLER in handler;
}
