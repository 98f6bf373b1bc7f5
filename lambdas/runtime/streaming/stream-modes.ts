import type { StreamMode } from '../request/query-request';
import type { StreamEvent } from './events';

/** Mode of a response whose request sets none and whose Accept header names no other. */
export const DEFAULT_STREAM_MODE: StreamMode = 'ndjson';

/** Encodes the events of one response in one mode. Create one per response: text modes keep state. */
export interface StreamEncoder {
  readonly mode: StreamMode;
  readonly contentType: string;
  /** Encodes one event, padded to at least `padToBytes` where the mode allows; an empty string writes nothing. */
  encode(event: StreamEvent): string;
}

/** Headers of every streamed response, whatever its mode. */
export const STREAM_HEADERS = {
  'cache-control': 'no-store',
  // Asks proxies in front of a local host not to buffer the stream.
  'x-accel-buffering': 'no',
} as const;

/**
 * Picks the mode of a response: the request body's `mode` first, then the first media type of
 * the Accept header that names a mode (`application/x-ndjson`, `text/event-stream`,
 * `text/plain` for `lines`), then DEFAULT_STREAM_MODE.
 */
export function chooseStreamMode(bodyMode: StreamMode | undefined, accept: string | undefined): StreamMode {
  if (bodyMode !== undefined) {
    return bodyMode;
  }
  for (const mediaRange of (accept ?? '').split(',')) {
    const mediaType = mediaRange.split(';')[0].trim().toLowerCase();
    const mode = MODE_BY_MEDIA_TYPE[mediaType];
    if (mode !== undefined) {
      return mode;
    }
  }
  return DEFAULT_STREAM_MODE;
}

const MODE_BY_MEDIA_TYPE: Readonly<Record<string, StreamMode>> = {
  'application/x-ndjson': 'ndjson',
  'application/jsonl': 'ndjson',
  'text/event-stream': 'sse',
  'text/plain': 'lines',
};

/**
 * Creates the encoder of one response.
 * @param padToBytes minimum size of each write in bytes, so that a front end that buffers small
 *   chunks sends each event at once; 0 turns padding off. Only `ndjson` (spaces before the
 *   newline, which JSON parsers skip) and `sse` (a comment line) are padded.
 */
export function createStreamEncoder(mode: StreamMode, padToBytes = 0): StreamEncoder {
  switch (mode) {
    case 'sse':
      return { mode, contentType: 'text/event-stream; charset=utf-8', encode: (event) => encodeSse(event, padToBytes) };
    case 'lines':
    case 'chunks':
      // NOTE: text modes are never padded, because any padding would change the text.
      return new TextModeEncoder(mode);
    default:
      return { mode, contentType: 'application/x-ndjson; charset=utf-8', encode: (event) => encodeNdjson(event, padToBytes) };
  }
}

function encodeNdjson(event: StreamEvent, padToBytes: number): string {
  const json = JSON.stringify(event);
  const missingBytes = padToBytes - Buffer.byteLength(json) - 1;
  return missingBytes > 0 ? `${json}${' '.repeat(missingBytes)}\n` : `${json}\n`;
}

function encodeSse(event: StreamEvent, padToBytes: number): string {
  const block = `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
  // A line that starts with a colon is a comment, which EventSource parsers skip.
  const missingBytes = padToBytes - Buffer.byteLength(block) - 2;
  return missingBytes > 0 ? `:${' '.repeat(missingBytes)}\n${block}` : block;
}

/**
 * `lines` writes the text of each result, ending with a newline; `chunks` writes it exactly
 * as it arrives. In both, a failed query is one line `error ID: CODE: MESSAGE` on a line of its
 * own, and `start` and `end` write nothing.
 */
class TextModeEncoder implements StreamEncoder {
  readonly contentType = 'text/plain; charset=utf-8';
  private endsWithNewline = true;

  constructor(readonly mode: 'lines' | 'chunks') {}

  encode(event: StreamEvent): string {
    let text = '';
    if (event.type === 'result') {
      text = resultText(event.result);
      if (this.mode === 'lines' && !text.endsWith('\n')) {
        text += '\n';
      }
    } else if (event.type === 'error') {
      const line = `error${event.id === undefined ? '' : ` ${event.id}`}: ${event.error.code}: ${event.error.message}\n`;
      text = this.endsWithNewline ? line : `\n${line}`;
    }
    if (text !== '') {
      this.endsWithNewline = text.endsWith('\n');
    }
    return text;
  }
}

interface TextCarrier {
  readonly type?: unknown;
  readonly text?: unknown;
}

/**
 * Returns the text of an MCP result: the text blocks of `content` (tools/call), the text of
 * `contents` (resources/read) or of `messages` (prompts/get), joined by newlines. A result with
 * no text at all, such as a list, is written as one line of JSON.
 */
export function resultText(result: unknown): string {
  const shape = (typeof result === 'object' && result !== null ? result : {}) as {
    content?: readonly TextCarrier[];
    contents?: readonly TextCarrier[];
    messages?: readonly { content?: TextCarrier }[];
  };
  const texts: string[] = [];
  for (const block of shape.content ?? []) {
    if (block.type === 'text' && typeof block.text === 'string') {
      texts.push(block.text);
    }
  }
  for (const resource of shape.contents ?? []) {
    if (typeof resource.text === 'string') {
      texts.push(resource.text);
    }
  }
  for (const message of shape.messages ?? []) {
    if (message.content?.type === 'text' && typeof message.content.text === 'string') {
      texts.push(message.content.text);
    }
  }
  return texts.length > 0 ? texts.join('\n') : JSON.stringify(result);
}
