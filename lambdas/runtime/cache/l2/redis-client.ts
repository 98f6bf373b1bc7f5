import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';

/** Time allowed to open a connection to the cache cluster, in ms. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 1_000;

/**
 * Time after which ioredis itself fails a command, in ms. It is longer than the guard's
 * budget, so the guard returns to the caller first and this cleans the command up after.
 */
export const DEFAULT_COMMAND_TIMEOUT_MS = 500;

/** Maximum wait between two reconnection attempts, in ms. */
export const MAX_RECONNECT_DELAY_MS = 2_000;

/** Connection settings of the L2 cache. */
export interface L2ConnectionOptions {
  /** `standalone` for a replication group or a local Redis, `cluster` for ElastiCache Serverless. */
  readonly mode: 'standalone' | 'cluster';
  readonly host: string;
  readonly port: number;
  /** Whether to connect with TLS. ElastiCache in this stack requires it. */
  readonly tls: boolean;
  readonly username?: string;
  readonly password?: string;
  /** @default DEFAULT_CONNECT_TIMEOUT_MS */
  readonly connectTimeoutMs?: number;
  /** @default DEFAULT_COMMAND_TIMEOUT_MS */
  readonly commandTimeoutMs?: number;
}

/** A client in either mode: the commands the L2 tier uses exist on both. */
export type RedisClient = Redis | Cluster;

/** Delay before reconnection attempt `attempt`, in ms: exponential, capped, never giving up. */
export function reconnectDelayMs(attempt: number): number {
  return Math.min(50 * 2 ** Math.min(attempt, 10), MAX_RECONNECT_DELAY_MS);
}

/**
 * Creates an ioredis client that fails fast: no offline queue (a command sent while the
 * connection is down fails at once instead of waiting), no command retries across
 * reconnects, bounded connect and command timeouts, and a lazy connection.
 */
export function createRedisClient(options: L2ConnectionOptions): RedisClient {
  const common: RedisOptions = {
    username: options.username,
    password: options.password,
    tls: options.tls ? {} : undefined,
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    commandTimeout: options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS,
    retryStrategy: reconnectDelayMs,
  };

  if (options.mode === 'standalone') {
    return new Redis({ ...common, host: options.host, port: options.port });
  }

  const clusterOptions: ClusterOptions = {
    redisOptions: common,
    lazyConnect: true,
    enableOfflineQueue: false,
    clusterRetryStrategy: reconnectDelayMs,
    // ElastiCache Serverless serves TLS certificates for its DNS name: resolving the name to
    // an IP first would fail certificate checks, so the name is passed through unresolved.
    dnsLookup: (address, callback) => callback(null, address),
  };
  return new Cluster([{ host: options.host, port: options.port }], clusterOptions);
}
