import { brotliCompressSync, brotliDecompressSync, constants } from 'node:zlib';

/**
 * Size above which stored values are compressed, in bytes of JSON. Below it, brotli's fixed
 * cost outweighs the transfer it saves at ElastiCache's burst bandwidth: decoding a 2 KB value
 * took about 7 µs (`node bench/codec-choice.js`). Above it, smaller values save network time on
 * small nodes and memory on every node.
 */
export const DEFAULT_COMPRESSION_THRESHOLD_BYTES = 4096;

/**
 * Brotli quality for stored values. `node bench/codec-choice.js` compares gzip and brotli on
 * MCP-like documents: quality 4 gives the smallest values and decodes as fast as any, and its
 * slower encoding runs after the response is sent.
 */
const BROTLI_QUALITY = 4;

/** First byte of a stored value: how the rest is encoded. */
const FORMAT_JSON = 0x00;
const FORMAT_BROTLI_JSON = 0x01;

/** A stored value with its timestamps, all epoch ms. */
export interface StoredEntry<T = unknown> {
  readonly value: T;
  readonly storedAtMs: number;
  /** Until this time the value is fresh. */
  readonly freshUntilMs: number;
  /** Until this time a stale value may still be served while one refresh runs. */
  readonly staleUntilMs: number;
}

interface Envelope {
  readonly t: number;
  readonly f: number;
  readonly s: number;
  readonly v: unknown;
}

/** Raised when a value cannot be stored exactly as JSON, so that nothing is stored lossily. */
export class UnserializableValueError extends TypeError {
  readonly code = 'value_not_serializable';

  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`Cannot cache the value: ${path} ${reason}. Return plain JSON data (objects, arrays, strings, finite numbers, booleans, null).`);
    this.name = 'UnserializableValueError';
  }
}

/**
 * Checks that JSON round-trips `value` exactly: a Date, Map, undefined property, NaN, -0 or
 * class instance would come back as something else, so it is rejected instead of stored.
 */
export function assertJsonExact(value: unknown, path = 'value'): void {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') {
    return;
  }
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || Object.is(value, -0)) {
      throw new UnserializableValueError(path, `is ${Object.is(value, -0) ? '-0' : String(value)}, which JSON cannot represent`);
    }
    return;
  }
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index += 1) {
      if (!(index in value)) {
        throw new UnserializableValueError(`${path}[${index}]`, 'is a hole in a sparse array');
      }
      assertJsonExact(value[index], `${path}[${index}]`);
    }
    return;
  }
  if (typeof value === 'object') {
    const prototype = Object.getPrototypeOf(value);
    if (prototype !== Object.prototype && prototype !== null) {
      throw new UnserializableValueError(path, `is a ${value.constructor?.name ?? 'non-plain object'}, not a plain object`);
    }
    for (const [key, child] of Object.entries(value)) {
      assertJsonExact(child, `${path}.${key}`);
    }
    return;
  }
  throw new UnserializableValueError(path, `is of type ${typeof value}`);
}

/** Encodes an entry for L2, compressing it above the threshold. */
export function encodeEntry(entry: StoredEntry, compressionThresholdBytes = DEFAULT_COMPRESSION_THRESHOLD_BYTES): Buffer {
  const envelope: Envelope = { t: entry.storedAtMs, f: entry.freshUntilMs, s: entry.staleUntilMs, v: entry.value };
  const json = Buffer.from(JSON.stringify(envelope));
  if (json.length <= compressionThresholdBytes) {
    return Buffer.concat([Buffer.of(FORMAT_JSON), json]);
  }
  const compressed = brotliCompressSync(json, { params: { [constants.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY } });
  return Buffer.concat([Buffer.of(FORMAT_BROTLI_JSON), compressed]);
}

/**
 * Decodes an entry read from L2, with the size of its JSON text for the L1 bound. Returns
 * undefined for bytes that no version of this codec wrote.
 */
export function decodeEntry<T>(bytes: Buffer): { entry: StoredEntry<T>; jsonBytes: number } | undefined {
  try {
    const body = bytes.subarray(1);
    let json: Buffer;
    if (bytes[0] === FORMAT_JSON) {
      json = body;
    } else if (bytes[0] === FORMAT_BROTLI_JSON) {
      json = brotliDecompressSync(body);
    } else {
      return undefined;
    }
    const envelope = JSON.parse(json.toString('utf8')) as Envelope;
    const entry = { value: envelope.v as T, storedAtMs: envelope.t, freshUntilMs: envelope.f, staleUntilMs: envelope.s };
    return { entry, jsonBytes: json.length };
  } catch {
    // A corrupt value is a miss: the next write replaces it.
    return undefined;
  }
}
