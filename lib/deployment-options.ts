import type { Node } from 'constructs';
import { z } from 'zod';

import { REQUEST_LIMITS } from '../lambdas/runtime/request/query-request';

/**
 * Infrastructure options of the stack, read from CDK context (`cdk.json` or `-c key=value`).
 * The configuration file stays the one source of truth for servers. Its schema is strict, so
 * options that only the CDK app reads live here. docs/deploy.md lists each option.
 */

/** Deployment modes of the L2 cache. */
export const CACHE_MODES = ['provisioned', 'serverless'] as const;
export type CacheMode = (typeof CACHE_MODES)[number];

/** Log levels that Powertools Logger accepts in POWERTOOLS_LOG_LEVEL. */
export const LOG_LEVELS = ['DEBUG', 'INFO', 'WARN', 'ERROR'] as const;

/** Retention periods, in days, that CloudWatch Logs accepts. */
export const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] as const;

/** Context values from `-c key=value` arrive as strings, so numbers are parsed from their text. */
function integer(min: number, max: number) {
  return z.preprocess(
    (value) => (typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value),
    z.number().int().min(min).max(max),
  );
}

function booleanOption() {
  const textToBoolean: Record<string, boolean> = { true: true, false: false };
  return z.preprocess((value) => (typeof value === 'string' && value in textToBoolean ? textToBoolean[value] : value), z.boolean());
}

/** Accepts a list as a JSON array in cdk.json or as comma-separated text with `-c`. */
function stringList(item: z.ZodString) {
  return z.preprocess(
    (value) =>
      typeof value === 'string'
        ? value
            .split(',')
            .map((part) => part.trim())
            .filter((part) => part !== '')
        : value,
    z.array(item),
  );
}

/** Accepts an object as JSON in cdk.json, or as JSON text with `-c`. */
function jsonObject<T extends z.ZodType>(schema: T) {
  return z.preprocess((value) => {
    if (typeof value !== 'string') {
      return value;
    }
    try {
      return JSON.parse(value) as unknown;
    } catch {
      return value;
    }
  }, schema);
}

const secretArnPattern = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+$/;

/** Source of one upstream server's auth header. */
const serverAuthSchema = z
  .object({
    /** Name of a Secrets Manager secret in the stack's account and region. */
    secretName: z.string().regex(/^[A-Za-z0-9/_+=.@-]{1,512}$/, 'use a Secrets Manager secret name').optional(),
    /** Complete ARN of a Secrets Manager secret, with its six-character suffix. */
    secretArn: z.string().regex(secretArnPattern, 'use a complete Secrets Manager secret ARN').optional(),
    /** HTTP header that carries the secret's value. */
    header: z
      .string()
      .regex(/^[A-Za-z0-9-]{1,64}$/, 'use an HTTP header name')
      .default('Authorization'),
  })
  .strict()
  .refine((auth) => (auth.secretName === undefined) !== (auth.secretArn === undefined), {
    message: 'set exactly one of "secretName" and "secretArn"',
  });

/** The context options, with their defaults. */
export const deploymentOptionsSchema = z
  .object({
    configFile: z.string().trim().min(1).default('mcp-accelerator.config.json'),

    cacheMode: z.enum(CACHE_MODES).default('provisioned'),
    cacheNodeType: z.string().default('cache.t4g.micro'),
    cacheReplicas: integer(1, 5).default(1),
    serverlessMaxDataStorageGb: integer(1, 5000).default(5),
    serverlessMaxEcpuPerSecond: integer(1000, 15_000_000).default(5000),

    natGateways: integer(1, 2).default(1),
    vpcId: z.string().regex(/^vpc-[0-9a-f]{8,17}$/, 'use a VPC id such as vpc-0123456789abcdef0').optional(),
    vpcPrivateSubnetIds: stringList(z.string().regex(/^subnet-[0-9a-f]{8,17}$/, 'use subnet ids such as subnet-0123456789abcdef0')).optional(),
    vpcAvailabilityZones: stringList(z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d[a-z]$/, 'use zone names such as us-east-1a')).optional(),
    vpcEndpoints: booleanOption().default(true),

    functionMemoryMb: integer(128, 10_240).default(1024),
    streamTimeoutSeconds: integer(1, 900).default(60),
    streamPadBytes: integer(0, 65_536).default(0),
    apiTimeoutSeconds: integer(1, 900).default(28),
    logRetentionDays: integer(1, 3653)
      .refine((days) => (LOG_RETENTION_DAYS as readonly number[]).includes(days), {
        message: `use one of the retention periods that CloudWatch Logs accepts: ${LOG_RETENTION_DAYS.join(', ')}`,
      })
      .default(30),
    logLevel: z.enum(LOG_LEVELS).default('INFO'),

    functionUrlAuth: z.enum(['AWS_IAM', 'NONE']).default('AWS_IAM'),
    corsAllowedOrigins: stringList(z.string().regex(/^(\*|https?:\/\/[^\s/]+)$/, 'use "*" or an origin such as https://app.example.com')).default([]),

    apiThrottlingRateLimit: integer(1, 10_000).default(100),
    apiThrottlingBurstLimit: integer(1, 5000).default(200),
    apiResponseStreaming: booleanOption().default(false),

    alarmEmail: z.email().optional(),
    alarmTopicArn: z.string().regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_.-]+$/, 'use an SNS topic ARN').optional(),
    hitRateAlarmPercent: integer(1, 99).default(50),
    p99LatencyAlarmMs: integer(1, REQUEST_LIMITS.maxTimeoutMs).default(5000),

    serverAuth: jsonObject(z.record(z.string(), serverAuthSchema)).default({}),
  })
  .strict()
  .superRefine((options, context) => {
    const vpcFields = [options.vpcId, options.vpcPrivateSubnetIds, options.vpcAvailabilityZones];
    const given = vpcFields.filter((field) => field !== undefined).length;
    if (given !== 0 && given !== vpcFields.length) {
      context.addIssue({
        code: 'custom',
        path: ['vpcId'],
        message: 'to import a VPC, set all of vpcId, vpcPrivateSubnetIds and vpcAvailabilityZones',
      });
    }
    if (options.alarmEmail !== undefined && options.alarmTopicArn !== undefined) {
      context.addIssue({
        code: 'custom',
        path: ['alarmEmail'],
        message: 'set alarmEmail or alarmTopicArn, not both; subscribe the address to the existing topic instead',
      });
    }
  });

export type DeploymentOptions = z.infer<typeof deploymentOptionsSchema>;
export type ServerAuth = z.infer<typeof serverAuthSchema>;

/** Names of the context options. */
export const DEPLOYMENT_OPTION_NAMES = Object.keys(deploymentOptionsSchema.shape) as Array<keyof DeploymentOptions>;

/** Raised when a context option is invalid. */
export class DeploymentOptionsError extends Error {
  readonly code = 'invalid_context_option';

  constructor(readonly issues: readonly string[]) {
    super(`Invalid mcp-accelerator context option: ${issues.join('; ')}. Fix it in cdk.json or in the -c key=value argument.`);
    this.name = 'DeploymentOptionsError';
  }
}

/**
 * Parses the context options, naming every invalid one in the error.
 * @param context context values by key; keys that are not options (feature flags) are ignored
 */
export function parseDeploymentOptions(context: Readonly<Record<string, unknown>>): DeploymentOptions {
  const input: Record<string, unknown> = {};
  for (const name of DEPLOYMENT_OPTION_NAMES) {
    if (context[name] !== undefined) {
      input[name] = context[name];
    }
  }

  const parsed = deploymentOptionsSchema.safeParse(input);
  if (!parsed.success) {
    throw new DeploymentOptionsError(
      parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message} (got ${describeValue(input, issue.path)})`),
    );
  }
  return parsed.data;
}

/** Reads and parses the context options of an app or stack node. */
export function readDeploymentOptions(node: Node): DeploymentOptions {
  const context: Record<string, unknown> = {};
  for (const name of DEPLOYMENT_OPTION_NAMES) {
    context[name] = node.tryGetContext(name);
  }
  return parseDeploymentOptions(context);
}

/**
 * Returns context keys that look like options of this app but are not, such as a misspelt
 * `cachemode`. Feature flags (`@aws-cdk/...`) and CDK's own keys contain `@` or `:`.
 */
export function unknownOptionNames(contextKeys: readonly string[]): string[] {
  const known = new Set<string>(DEPLOYMENT_OPTION_NAMES);
  return contextKeys.filter((key) => !/[@:]/.test(key) && !known.has(key));
}

function describeValue(input: Record<string, unknown>, path: readonly PropertyKey[]): string {
  let value: unknown = input;
  for (const key of path) {
    value = typeof value === 'object' && value !== null ? (value as Record<PropertyKey, unknown>)[key] : undefined;
  }
  return value === undefined ? 'nothing' : JSON.stringify(value);
}
