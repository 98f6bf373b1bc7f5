import { ResultCache } from './cache/result-cache';
import { MemoryCache } from './cache/memory-cache';
import { RUNTIME_ENV } from './config/environment';
import { ConfigError, serverConfigSchema, type ResolvedServer } from './config/server-config';
import { McpClientPool } from './mcp/client-pool';
import { QueryRunner } from './query/query-runner';
import { z } from 'zod';

/** Everything a handler needs, created once per execution environment and reused by every invocation. */
export interface RuntimeContext {
  readonly servers: ReadonlyMap<string, ResolvedServer>;
  readonly serverNames: readonly string[];
  readonly cache: ResultCache;
  readonly clients: McpClientPool;
  readonly runner: QueryRunner;
}

const resolvedServersSchema = z.record(z.string(), serverConfigSchema.and(z.object({ url: z.string() })));

/** Builds a runtime context for the given servers. */
export function createRuntimeContext(servers: readonly ResolvedServer[], options: { l1MaxSizeBytes?: number } = {}): RuntimeContext {
  const byName = new Map(servers.map((server) => [server.name, server]));
  const cache = new ResultCache({ l1: new MemoryCache({ maxSizeBytes: options.l1MaxSizeBytes }) });
  const clients = new McpClientPool(servers);
  return {
    servers: byName,
    serverNames: [...byName.keys()],
    cache,
    clients,
    runner: new QueryRunner({ servers: byName, cache, clients }),
  };
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

let shared: RuntimeContext | undefined;

/** Returns the context of this execution environment, created from the environment on first use. */
export function getRuntimeContext(): RuntimeContext {
  if (shared === undefined) {
    const l1MaxSizeBytes = process.env[RUNTIME_ENV.l1MaxSizeBytes];
    shared = createRuntimeContext(readServersFromEnvironment(), {
      l1MaxSizeBytes: l1MaxSizeBytes === undefined ? undefined : Number(l1MaxSizeBytes),
    });
  }
  return shared;
}

/** Closes the MCP connections of this execution environment's context and clears it. */
export async function closeRuntimeContext(): Promise<void> {
  const context = shared;
  shared = undefined;
  await context?.clients.close();
}
