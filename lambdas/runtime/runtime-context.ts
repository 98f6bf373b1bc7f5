import { z } from 'zod';

import { HybridCache } from './cache/hybrid-cache';
import { L2Cache } from './cache/l2/l2-cache';
import { resolveL2Connection } from './cache/l2/l2-config';
import { L2Guard } from './cache/l2/l2-guard';
import { createRedisClient } from './cache/l2/redis-client';
import { MemoryCache } from './cache/memory-cache';
import { CircuitBreaker } from './cache/circuit-breaker';
import { RUNTIME_ENV } from './config/environment';
import { ConfigError, serverConfigSchema, type ResolvedServer } from './config/server-config';
import { logger } from './logger';
import { McpClientPool } from './mcp/client-pool';
import { ToolAnnotationsIndex } from './mcp/tool-annotations';
import { recordL2Call } from './metrics/request-metrics';
import { QueryPlanner } from './query/query-planner';
import { QueryRunner } from './query/query-runner';

/** Everything a handler needs, created once per execution environment and reused by every invocation. */
export interface RuntimeContext {
  readonly servers: ReadonlyMap<string, ResolvedServer>;
  readonly serverNames: readonly string[];
  readonly cache: HybridCache;
  readonly clients: McpClientPool;
  readonly runner: QueryRunner;
}

/** Options of a runtime context. */
export interface RuntimeContextOptions {
  /** Maximum size of L1, in bytes. @default DEFAULT_L1_MAX_SIZE_BYTES */
  readonly l1MaxSizeBytes?: number;
  /** The L2 tier, ignored when `cache` is given. @default - none: L1 only */
  readonly l2?: L2Cache;
  /** The hybrid cache. @default - a new one of `l1MaxSizeBytes` and `l2` */
  readonly cache?: HybridCache;
}

const resolvedServersSchema = z.record(z.string(), serverConfigSchema.and(z.object({ url: z.string() })));

const log = logger.createChild({ persistentKeys: { component: 'runtime-context' } });

/** Builds a runtime context for the given servers. */
export function createRuntimeContext(servers: readonly ResolvedServer[], options: RuntimeContextOptions = {}): RuntimeContext {
  const byName = new Map(servers.map((server) => [server.name, server]));
  const cache = options.cache ?? new HybridCache({ l1: new MemoryCache({ maxSizeBytes: options.l1MaxSizeBytes }), l2: options.l2 });
  const clients = new McpClientPool(servers);
  const planner = new QueryPlanner({ servers: byName, cache, toolAnnotations: new ToolAnnotationsIndex(clients) });
  return {
    servers: byName,
    serverNames: [...byName.keys()],
    cache,
    clients,
    runner: new QueryRunner({ planner, cache, clients }),
  };
}

/** Creates the L2 tier from the environment, with its guard reporting to the metrics, or undefined for L1 only. */
export async function createL2FromEnvironment(environment: NodeJS.ProcessEnv = process.env): Promise<L2Cache | undefined> {
  const connection = await resolveL2Connection(environment);
  if (connection === undefined) {
    return undefined;
  }
  const breaker = new CircuitBreaker({
    onStateChange: (state, previous) => log.warn('L2 circuit breaker changed state', { state, previous }),
  });
  const guard = new L2Guard({ breaker, onReport: recordL2Call });
  log.info('L2 configured', { mode: connection.mode, host: connection.host, port: connection.port, tls: connection.tls });
  return new L2Cache(createRedisClient(connection), guard);
}

/**
 * Reads the servers from the environment that the CDK stack or the local host sets.
 * @throws ConfigError naming the variable and the invalid field
 */
export function readServersFromEnvironment(environment: NodeJS.ProcessEnv = process.env): ResolvedServer[] {
  const text = environment[RUNTIME_ENV.servers];
  if (text === undefined || text.trim() === '') {
    throw new ConfigError(RUNTIME_ENV.servers, ['the variable is not set; set it to a JSON object of servers by name']);
  }

  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(RUNTIME_ENV.servers, [`not valid JSON: ${(error as Error).message}`]);
  }
  const parsed = resolvedServersSchema.safeParse(document);
  if (!parsed.success) {
    throw new ConfigError(
      RUNTIME_ENV.servers,
      parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`),
    );
  }
  return Object.entries(parsed.data).map(([name, server]) => ({ ...server, name }));
}

let sharedCache: Promise<HybridCache> | undefined;
let shared: Promise<RuntimeContext> | undefined;

/**
 * Resolves the hybrid cache of this execution environment, with L2 from the environment:
 * the cache that the MCP queries use, for `cached()` in user code too.
 */
export function getSharedCache(): Promise<HybridCache> {
  sharedCache ??= (async () => {
    const l1MaxSizeBytes = process.env[RUNTIME_ENV.l1MaxSizeBytes];
    const l1 = new MemoryCache({ maxSizeBytes: l1MaxSizeBytes === undefined ? undefined : Number(l1MaxSizeBytes) });
    return new HybridCache({ l1, l2: await createL2FromEnvironment() });
  })();
  sharedCache.catch(() => {
    sharedCache = undefined;
  });
  return sharedCache;
}

/** Resolves the context of this execution environment, created from the environment on first use. */
export function getRuntimeContext(): Promise<RuntimeContext> {
  shared ??= (async () => createRuntimeContext(readServersFromEnvironment(), { cache: await getSharedCache() }))();
  // A failed start is not remembered, so the next invocation tries again.
  shared.catch(() => {
    shared = undefined;
  });
  return shared;
}

/** Closes the MCP connections and the L2 connection of this execution environment's context, and clears it. */
export async function closeRuntimeContext(): Promise<void> {
  const context = shared;
  const cache = sharedCache;
  shared = undefined;
  sharedCache = undefined;
  await (await context?.catch(() => undefined))?.clients.close();
  await (await cache?.catch(() => undefined))?.close();
}
