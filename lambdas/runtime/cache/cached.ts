import { createHash } from 'node:crypto';

import { DEFAULT_JITTER_RATIO } from '../config/server-config';
import { CACHE_NAMESPACE, CACHE_SCHEMA_VERSION, canonicalJson } from './cache-key';
import { applyJitter } from './cache-policy';
import type { HybridCache } from './hybrid-cache';
import { assertJsonExact } from './value-codec';

/** Maximum wait for another instance's load of the same key, in ms, unless the options set one. */
export const DEFAULT_CACHED_MAX_WAIT_MS = 10_000;

/** A cache, or a function that resolves one when the first call needs it. */
export type CacheSource = HybridCache | (() => HybridCache | Promise<HybridCache>);

/** Options of `cached` and `@cached`. */
export interface CachedOptions<A extends unknown[]> {
  /** The cache to use: the runtime's own (`getSharedCache`) shares L1 and L2 with the MCP queries. */
  readonly cache: CacheSource;
  /** Name that keeps this function's keys apart from every other's, such as `pricing.lookup`. */
  readonly namespace: string;
  /** Time a result stays fresh, in ms. */
  readonly ttlMs: number;
  /**
   * Time past the TTL during which a stale result is returned while one refresh runs, in ms.
   * @default 0
   */
  readonly graceMs?: number;
  /** @default DEFAULT_JITTER_RATIO */
  readonly jitterRatio?: number;
  /**
   * Derives what identifies a call from its arguments; it must be JSON data.
   * @default - the arguments themselves
   */
  readonly key?: (...args: A) => unknown;
  /** @default DEFAULT_CACHED_MAX_WAIT_MS */
  readonly maxWaitMs?: number;
}

/**
 * Wraps an async function with the hybrid cache. A fresh result is returned from L1 or L2, a
 * stale one within the grace period is returned while one refresh runs, and concurrent misses
 * for one key share one call, across instances too. The result must be JSON data: anything
 * that JSON would change (a Date, a Map, undefined, NaN) makes the call reject with
 * `UnserializableValueError` instead of being stored lossily.
 *
 * Called with options only, it returns a method decorator instead, for both TypeScript
 * decorator styles (standard and `experimentalDecorators`). Every instance shares the cache
 * under `namespace`, so the arguments alone identify a call: put instance state that changes
 * results in `key`.
 */
export function cached<A extends unknown[], R>(fn: (...args: A) => Promise<R>, options: CachedOptions<A>): (...args: A) => Promise<R>;
export function cached<A extends unknown[]>(options: CachedOptions<A>): MethodDecoratorOfBothStyles;
export function cached<A extends unknown[], R>(
  fnOrOptions: ((...args: A) => Promise<R>) | CachedOptions<A>,
  maybeOptions?: CachedOptions<A>,
): ((...args: A) => Promise<R>) | MethodDecoratorOfBothStyles {
  if (typeof fnOrOptions !== 'function') {
    return decorator(fnOrOptions);
  }
  const fn = fnOrOptions;
  const options = maybeOptions!;
  validateOptions(options);
  const resolveCache = toResolver(options.cache);

  return async (...args: A): Promise<R> => {
    const cache = await resolveCache();
    const identity = options.key === undefined ? args : options.key(...args);
    assertJsonExact(identity, 'key');
    const key = functionKey(options.namespace, identity);
    const load = (): Promise<R> => fn(...args);
    const decide = (value: R) => {
      assertJsonExact(value, 'result');
      return { key, options: { ttlMs: applyJitter(options.ttlMs, options.jitterRatio ?? DEFAULT_JITTER_RATIO), graceMs: options.graceMs ?? 0 } };
    };
    const loadOptions = { maxWaitMs: options.maxWaitMs ?? DEFAULT_CACHED_MAX_WAIT_MS };

    const found = await cache.get<R>(key);
    if (found !== undefined) {
      if (found.stale) {
        cache.refresh(key, load, decide, loadOptions);
      }
      return found.value;
    }
    return (await cache.load(key, load, decide, loadOptions)).value;
  };
}

/**
 * A decorator that works as a standard method decorator `(method, context)` and as an
 * `experimentalDecorators` one `(prototype, name, descriptor)`. Its return type is loose
 * because the two styles expect different ones.
 */
export type MethodDecoratorOfBothStyles = (target: any, contextOrName: any, descriptor?: PropertyDescriptor) => any;

function decorator<A extends unknown[], R>(options: CachedOptions<A>): MethodDecoratorOfBothStyles {
  validateOptions(options);
  return (target, _contextOrName, descriptor) => {
    const original = (descriptor?.value ?? target) as (...args: A) => Promise<R>;
    const wrappedByInstance = new WeakMap<object, (...args: A) => Promise<R>>();
    const replacement = function (this: object, ...args: A): Promise<R> {
      let wrapped = wrappedByInstance.get(this);
      if (wrapped === undefined) {
        wrapped = cached(original.bind(this), options);
        wrappedByInstance.set(this, wrapped);
      }
      return wrapped(...args);
    };
    if (descriptor === undefined) {
      return replacement;
    }
    descriptor.value = replacement;
    return descriptor;
  };
}

function functionKey(namespace: string, identity: unknown): string {
  const hash = createHash('sha256').update(canonicalJson(identity)).digest('hex');
  return [CACHE_NAMESPACE, `v${CACHE_SCHEMA_VERSION}`, 'fn', namespace, hash].join(':');
}

function toResolver(source: CacheSource): () => Promise<HybridCache> {
  if (typeof source !== 'function') {
    return async () => source;
  }
  let resolved: Promise<HybridCache> | undefined;
  return () => {
    resolved ??= Promise.resolve(source());
    return resolved;
  };
}

function validateOptions<A extends unknown[]>(options: CachedOptions<A>): void {
  if (!/^[A-Za-z0-9._-]{1,100}$/.test(options.namespace)) {
    throw new TypeError(`namespace must be 1 to 100 letters, digits, dots, underscores or hyphens, got "${options.namespace}"`);
  }
  if (!Number.isFinite(options.ttlMs) || options.ttlMs <= 0) {
    throw new RangeError(`ttlMs must be a positive number of ms, got ${options.ttlMs}`);
  }
  if (options.graceMs !== undefined && !(options.graceMs >= 0)) {
    throw new RangeError(`graceMs must be 0 or more ms, got ${options.graceMs}`);
  }
}
