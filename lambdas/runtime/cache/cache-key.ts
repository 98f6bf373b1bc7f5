import { createHash } from 'node:crypto';
import { stringify } from 'safe-stable-stringify';

import type { ResolvedServer } from '../config/server-config';

/** Prefix of every key, so that the cache cluster can be shared with other applications. */
export const CACHE_NAMESPACE = 'mcpa';

/** Version of the stored value format. Changing it makes every earlier entry unreachable. */
export const CACHE_SCHEMA_VERSION = 1;

/** Serializes a value as JSON with object keys sorted, so that equal params give equal text. */
export function canonicalJson(value: unknown): string {
  const text = stringify(value);
  if (text === undefined) {
    throw new TypeError('params cannot be represented as JSON');
  }
  return text;
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * Derives a short fingerprint of the parts of a server's config that change its results.
 * A new URL or cache policy thus gives new keys, and stale entries age out on their own.
 */
export function serverFingerprint(server: ResolvedServer): string {
  return sha256Hex(canonicalJson({ url: server.url, cache: server.cache })).slice(0, 12);
}

/** Builds the key of one MCP call: namespace, schema version, server, fingerprint, method and a hash of params. */
export function buildCacheKey(server: ResolvedServer, method: string, params: Record<string, unknown>): string {
  const paramsHash = sha256Hex(canonicalJson(params));
  return [CACHE_NAMESPACE, `v${CACHE_SCHEMA_VERSION}`, server.name, serverFingerprint(server), method, paramsHash].join(':');
}
