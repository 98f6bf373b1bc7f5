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
 * A new URL or cache policy thus gives new keys, and stale entries age out on their own. A
 * bundled server is identified by its launcher, because its loopback port changes every run.
 */
export function serverFingerprint(server: ResolvedServer): string {
  const identity = server.launch === undefined ? { url: server.url } : { launch: server.launch };
  return sha256Hex(canonicalJson({ ...identity, cache: server.cache })).slice(0, 12);
}

/** Identifies a caller in keys by a hash, so an IAM ARN never appears in the cache cluster. */
export function callerPartition(caller: string): string {
  return sha256Hex(caller).slice(0, 24);
}

/** Parts of a cache key beside the server. */
export interface CacheKeyParts {
  readonly method: string;
  readonly params: Record<string, unknown>;
  /** Generation of the server, method and tool, from the generation counters. */
  readonly generation: string;
  /** Caller partition, for results that must not be shared between callers. */
  readonly partition?: string;
}

/**
 * Builds the key of one MCP call: namespace, schema version, server, config fingerprint,
 * generation, method and a hash of the canonical params, then the caller's partition if any.
 */
export function buildCacheKey(server: ResolvedServer, parts: CacheKeyParts): string {
  const paramsHash = sha256Hex(canonicalJson(parts.params));
  const key = [CACHE_NAMESPACE, `v${CACHE_SCHEMA_VERSION}`, server.name, serverFingerprint(server), `g${parts.generation}`, parts.method, paramsHash].join(':');
  return parts.partition === undefined ? key : `${key}:p:${parts.partition}`;
}

/** Prefix of every key of a server, for dropping its L1 entries on invalidation. */
export function serverKeyPrefix(server: ResolvedServer): string {
  return [CACHE_NAMESPACE, `v${CACHE_SCHEMA_VERSION}`, server.name, ''].join(':');
}
