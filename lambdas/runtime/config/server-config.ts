import { z } from 'zod';

import { QUERY_METHODS } from '../request/query-request';

/** Default time to live of a cached MCP result, in seconds, where a server sets none. */
export const DEFAULT_TTL_SECONDS = 300;

/**
 * Bundled servers that `npm start` can host on loopback. A server with `launch` and no
 * `url` exists only in local mode; the CDK app skips it with a warning.
 */
export const LOCAL_LAUNCHERS = ['server-everything'] as const;

const serverNamePattern = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** Default grace period, in seconds: how long past its TTL a value may be served while one refresh runs. */
export const DEFAULT_GRACE_SECONDS = 60;

/** Default TTL jitter: each TTL is shortened by up to this fraction, so entries stored together do not expire together. */
export const DEFAULT_JITTER_RATIO = 0.1;

/** Longest TTL or grace period allowed, in seconds (one day). */
const MAX_TTL_SECONDS = 86_400;

const ttlSecondsSchema = z.number().int().positive().max(MAX_TTL_SECONDS);

/** Cache policy of one MCP server. */
export const serverCachePolicySchema = z
  .object({
    /** Time to live of cached results from this server, in seconds. */
    ttlSeconds: ttlSecondsSchema.default(DEFAULT_TTL_SECONDS),
    /** TTL per method, such as `{ "tools/list": 3600 }`, in seconds. */
    methodTtlSeconds: z.partialRecord(z.enum(QUERY_METHODS), ttlSecondsSchema).default({}),
    /** TTL per tool of `tools/call`, in seconds; it wins over the method's. */
    toolTtlSeconds: z.record(z.string().min(1), ttlSecondsSchema).default({}),
    /** Time past the TTL during which a stale value is served while one refresh runs, in seconds; 0 turns it off. */
    graceSeconds: z.number().int().min(0).max(MAX_TTL_SECONDS).default(DEFAULT_GRACE_SECONDS),
    /** Fraction by which each TTL is shortened at random. */
    jitterRatio: z.number().min(0).max(0.5).default(DEFAULT_JITTER_RATIO),
    /**
     * Tools whose `tools/call` results may be cached. Any other tool is called every time,
     * because a tool may have side effects that a cache would skip.
     */
    cacheableTools: z.array(z.string().min(1)).default([]),
    /** Whether a tool that the server annotates with `readOnlyHint: true` may be cached too. Trust only servers you run. */
    trustReadOnlyHint: z.boolean().default(false),
    /**
     * Whether results depend on the caller (the server receives the caller's own credentials), so
     * that each caller gets a cache partition of its own.
     */
    partitionByCaller: z.boolean().default(false),
  })
  .strict();

/** One configured MCP server: the only upstreams that mcp-accelerator ever calls. */
export const serverConfigSchema = z
  .object({
    /** Streamable HTTP endpoint of the server. */
    url: z.url({ protocol: /^https?$/ }).optional(),
    /** Local mode only: a bundled server that `npm start` hosts on a free loopback port. */
    launch: z.enum(LOCAL_LAUNCHERS).optional(),
    description: z.string().optional(),
    /** ARN of a Secrets Manager secret whose whole value is sent as the auth header; the CDK stack sets it. */
    authSecretArn: z.string().startsWith('arn:').optional(),
    /** Local mode: name of an environment variable whose value is sent as the auth header. */
    authEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'use an environment variable name').optional(),
    /** Header that carries the credential. */
    authHeader: z.string().regex(/^[A-Za-z0-9-]+$/, 'use an HTTP header name').default('Authorization'),
    cache: serverCachePolicySchema.prefault({}),
  })
  .strict()
  .refine((server) => server.url !== undefined || server.launch !== undefined, {
    message: 'set "url" to the server\'s Streamable HTTP endpoint, or "launch" to a bundled server',
  });

/** The configuration file: the MCP servers by name. */
export const acceleratorConfigSchema = z
  .object({
    servers: z
      .record(
        z.string().regex(serverNamePattern, 'server names are 1 to 63 lowercase letters, digits or hyphens'),
        serverConfigSchema,
      )
      .refine((servers) => Object.keys(servers).length > 0, { message: 'name at least one MCP server' }),
  })
  .strict();

export type ServerCachePolicy = z.infer<typeof serverCachePolicySchema>;
export type ServerConfig = z.infer<typeof serverConfigSchema>;
export type AcceleratorConfig = z.infer<typeof acceleratorConfigSchema>;

/** A server as the runtime uses it: a name and a URL to call. */
export interface ResolvedServer extends ServerConfig {
  readonly name: string;
  readonly url: string;
}

/** Raised when a configuration file or variable does not match the schema. */
export class ConfigError extends Error {
  readonly code = 'invalid_config';

  constructor(
    readonly source: string,
    readonly issues: readonly string[],
  ) {
    super(`Invalid mcp-accelerator config in ${source}: ${issues.join('; ')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Parses a configuration document, naming every invalid field in the error.
 * @param source where the document came from, for the error message
 */
export function parseAcceleratorConfig(document: unknown, source: string): AcceleratorConfig {
  const parsed = acceleratorConfigSchema.safeParse(document);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${describeIssue(issue)}`);
    throw new ConfigError(source, issues);
  }
  return parsed.data;
}

/** Describes a config issue. zod reports a bad record key as "Invalid key", so the key's own message is used instead. */
function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_key' && issue.issues.length > 0) {
    return issue.issues.map((inner) => inner.message).join('; ');
  }
  return issue.message;
}

/** Builds a resolved server from a config fragment, with the defaults filled in. */
export function resolveServer(name: string, config: z.input<typeof serverConfigSchema> & { readonly url: string }): ResolvedServer {
  return { ...serverConfigSchema.parse(config), name, url: config.url };
}
