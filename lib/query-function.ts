import { Duration, Validations } from 'aws-cdk-lib';
import { SubnetType, type ISecurityGroup, type IVpc, type SubnetSelection } from 'aws-cdk-lib/aws-ec2';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Function as LambdaFunction, Runtime, type ILayerVersion } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';

import { RUNTIME_ENV } from '../lambdas/runtime/config/environment';
import type { ServerConfig } from '../lambdas/runtime/config/server-config';
import { METRICS_NAMESPACE, SERVICE_NAME } from '../lambdas/runtime/metrics/catalogue';
import { esbuildCode, esbuildTargetFor } from './esbuild-code';
import type { L2Cache } from './l2-cache';
import { RUNTIME_PACKAGE_NAME } from './runtime-layer';

/** Oldest Node.js major version that the runtime layer supports. */
const MIN_NODE_MAJOR_VERSION = 22;

/** Maximum timeout of a Lambda function, in seconds. */
const MAX_TIMEOUT_SECONDS = 900;

/**
 * Largest servers JSON accepted, in bytes. Lambda caps all variables of a function together at
 * 4 KB, and the cache endpoint, secret ARN and Powertools settings need most of the last 1 KB.
 */
const MAX_SERVERS_JSON_BYTES = 3072;

/**
 * EC2 actions that Lambda needs to attach a function to a VPC, as the AWS managed policy
 * AWSLambdaVPCAccessExecutionRole grants them.
 */
const VPC_ACCESS_ACTIONS = [
  'ec2:CreateNetworkInterface',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DescribeSubnets',
  'ec2:DeleteNetworkInterface',
  'ec2:AssignPrivateIpAddresses',
  'ec2:UnassignPrivateIpAddresses',
];

/** A server as the runtime reads it from its environment: a URL and no local launcher. */
export type CloudServerConfig = Omit<ServerConfig, 'launch'> & { readonly url: string };

/** The L2 cache that a query function connects to. Every {@link L2Cache} has this shape. */
export type QueryFunctionCache = Pick<L2Cache, 'mode' | 'endpointAddress' | 'port' | 'secret' | 'cacheId' | 'grantDescribe'>;

/** Credentials of one upstream server: a secret whose whole value the runtime sends in a header. */
export interface UpstreamAuth {
  /** Secret with the header's value, such as `Bearer <token>`, which the function may read. */
  readonly secret: ISecret;
  /**
   * HTTP header that carries the value.
   * @default 'Authorization'
   */
  readonly header?: string;
}

/** Properties that every query function takes. */
export interface QueryFunctionOptions {
  /** Layer with the bundled runtime. */
  readonly layer: ILayerVersion;

  /** VPC of the function. */
  readonly vpc: IVpc;

  /**
   * Subnets of the function.
   * @default - the VPC's private subnets with egress
   */
  readonly vpcSubnets?: SubnetSelection;

  /** Security group of the function, which the cache admits. */
  readonly securityGroup: ISecurityGroup;

  /** MCP servers with a URL, by name: the only upstreams the function may call. */
  readonly servers: Readonly<Record<string, CloudServerConfig>>;

  /** The L2 cache. */
  readonly cache: QueryFunctionCache;

  /**
   * Credentials of upstream servers, by server name. The function may read these secrets and
   * no others, and the runtime finds each secret's ARN in the server's entry.
   * @default - no server needs credentials
   */
  readonly upstreamAuth?: Readonly<Record<string, UpstreamAuth>>;

  /**
   * Node.js runtime, 22 or newer. Node.js 24 is the newest that aws-cdk-lib 2.278 lists as
   * available in every region (its `Runtime.NODEJS_LATEST`).
   * @default Runtime.NODEJS_24_X
   */
  readonly runtime?: Runtime;

  /**
   * Memory of the function, in MB. Lambda gives CPU in proportion to memory, and TLS to the
   * cache and to upstreams is CPU bound.
   * @default 1024
   */
  readonly memorySizeMb?: number;

  /**
   * Retention of the function's log group.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;

  /**
   * Level of the Powertools logger.
   * @default 'INFO'
   */
  readonly logLevel?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';

  /**
   * Maximum size of the in-memory L1 cache, in bytes.
   * @default - the runtime's default
   */
  readonly l1MaxSizeBytes?: number;

  /**
   * Whether Node.js maps stack traces to the TypeScript sources through the bundles' source maps.
   * Loading the maps adds to cold start time.
   * @default false
   */
  readonly enableSourceMaps?: boolean;
}

/** Properties of {@link QueryFunction}. */
export interface QueryFunctionProps extends QueryFunctionOptions {
  /** Absolute path of the TypeScript handler entry, which exports `handler`. */
  readonly entry: string;

  /** Description of the function. */
  readonly description: string;

  /** Timeout of the function. The runtime ends its response before this deadline. */
  readonly timeout: Duration;
}

/**
 * A query handler on Lambda: arm64, Node.js 22 or newer, in the VPC's private subnets, with the
 * runtime layer and its own log group. Its role may only write its logs, attach to the VPC and
 * read the cache secret.
 */
export class QueryFunction extends Construct {
  /** The Lambda function. */
  readonly function: LambdaFunction;

  /** Log group of the function. */
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: QueryFunctionProps) {
    super(scope, id);

    const runtime = props.runtime ?? Runtime.NODEJS_24_X;
    const memorySizeMb = props.memorySizeMb ?? 1024;
    const serversJson = JSON.stringify(serversWithAuth(props.servers, props.upstreamAuth ?? {}));
    validateQueryFunctionProps(props, runtime, memorySizeMb, serversJson);

    this.logGroup = new LogGroup(this, 'LogGroup', { retention: props.logRetention ?? RetentionDays.ONE_MONTH });
    const role = this.createExecutionRole();

    this.function = new LambdaFunction(this, 'Function', {
      description: props.description,
      runtime,
      architecture: Architecture.ARM_64,
      handler: 'index.handler',
      code: esbuildCode({
        entry: props.entry,
        outputFile: 'index.js',
        target: esbuildTargetFor(runtime),
        external: [RUNTIME_PACKAGE_NAME],
      }),
      layers: [props.layer],
      memorySize: memorySizeMb,
      timeout: props.timeout,
      role,
      logGroup: this.logGroup,
      vpc: props.vpc,
      vpcSubnets: props.vpcSubnets ?? { subnetType: SubnetType.PRIVATE_WITH_EGRESS },
      securityGroups: [props.securityGroup],
      environment: queryFunctionEnvironment(props, serversJson),
    });

    props.cache.secret.grantRead(this.function);
    for (const auth of Object.values(props.upstreamAuth ?? {})) {
      auth.secret.grantRead(this.function);
    }

    Validations.of(this.function).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'Node.js 24 is the newest runtime that aws-cdk-lib 2.278 lists as available in every region ' +
        '(Runtime.NODEJS_LATEST); set the runtime prop to a newer one where the region offers it.',
    });
  }

  /** Creates a role with inline grants, in place of the AWS managed Lambda policies. */
  private createExecutionRole(): Role {
    const role = new Role(this, 'ExecutionRole', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: 'mcp-accelerator query function: logs, VPC attachment, cache and upstream secrets',
    });
    this.logGroup.grantWrite(role);
    role.addToPolicy(new PolicyStatement({ actions: VPC_ACCESS_ACTIONS, resources: ['*'] }));

    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Lambda creates and deletes the VPC network interfaces of the function itself, so their ids are ' +
        'unknown in advance, and ec2:Describe* actions support no resource-level permissions. The AWS managed ' +
        'policy AWSLambdaVPCAccessExecutionRole grants the same actions on Resource "*".',
    });
    return role;
  }
}

/**
 * Adds `authSecretArn` and `authHeader` to the entry of each server with credentials.
 * @throws Error naming a server in `upstreamAuth` that is not among the servers
 */
function serversWithAuth(
  servers: Readonly<Record<string, CloudServerConfig>>,
  upstreamAuth: Readonly<Record<string, UpstreamAuth>>,
): Record<string, CloudServerConfig | (CloudServerConfig & { authSecretArn: string; authHeader: string })> {
  for (const name of Object.keys(upstreamAuth)) {
    if (servers[name] === undefined) {
      throw new Error(
        `upstreamAuth names server "${name}", which is not a configured server with a URL ` +
          `(configured: ${Object.keys(servers).join(', ') || 'none'}); fix the name or add the server to the config file.`,
      );
    }
  }
  return Object.fromEntries(
    Object.entries(servers).map(([name, server]) => {
      const auth = upstreamAuth[name];
      if (auth === undefined) {
        return [name, server];
      }
      return [name, { ...server, authSecretArn: auth.secret.secretArn, authHeader: auth.header ?? 'Authorization' }];
    }),
  );
}

function queryFunctionEnvironment(props: QueryFunctionProps, serversJson: string): Record<string, string> {
  const environment: Record<string, string> = {
    [RUNTIME_ENV.servers]: serversJson,
    [RUNTIME_ENV.cacheEndpoint]: props.cache.endpointAddress,
    [RUNTIME_ENV.cachePort]: String(props.cache.port),
    [RUNTIME_ENV.cacheMode]: props.cache.mode,
    [RUNTIME_ENV.cacheSecretArn]: props.cache.secret.secretArn,
    [RUNTIME_ENV.cacheId]: props.cache.cacheId,
    POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
    POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
    POWERTOOLS_LOG_LEVEL: props.logLevel ?? 'INFO',
  };
  if (props.l1MaxSizeBytes !== undefined) {
    environment[RUNTIME_ENV.l1MaxSizeBytes] = String(props.l1MaxSizeBytes);
  }
  if (props.enableSourceMaps === true) {
    environment.NODE_OPTIONS = '--enable-source-maps';
  }
  return environment;
}

function validateQueryFunctionProps(
  props: QueryFunctionProps,
  runtime: Runtime,
  memorySizeMb: number,
  serversJson: string,
): void {
  const nodeMajor = /^nodejs(\d+)\.x$/.exec(runtime.name)?.[1];
  if (nodeMajor === undefined || Number(nodeMajor) < MIN_NODE_MAJOR_VERSION) {
    throw new Error(
      `runtime ${runtime.name} is not supported; the runtime layer needs Node.js ${MIN_NODE_MAJOR_VERSION} or newer, ` +
        'for example Runtime.NODEJS_24_X.',
    );
  }
  if (!Number.isInteger(memorySizeMb) || memorySizeMb < 128 || memorySizeMb > 10_240) {
    throw new Error(`memorySizeMb must be an integer from 128 to 10240, got ${memorySizeMb}.`);
  }
  const timeoutSeconds = props.timeout.toSeconds();
  if (timeoutSeconds < 1 || timeoutSeconds > MAX_TIMEOUT_SECONDS) {
    throw new Error(
      `timeout must be from 1 to ${MAX_TIMEOUT_SECONDS} seconds (the Lambda maximum), got ${timeoutSeconds} seconds.`,
    );
  }
  if (props.l1MaxSizeBytes !== undefined && (!Number.isInteger(props.l1MaxSizeBytes) || props.l1MaxSizeBytes <= 0)) {
    throw new Error(`l1MaxSizeBytes must be a positive integer, got ${props.l1MaxSizeBytes}.`);
  }

  const serversJsonBytes = Buffer.byteLength(serversJson, 'utf8');
  if (serversJsonBytes > MAX_SERVERS_JSON_BYTES) {
    throw new Error(
      `The servers JSON is ${serversJsonBytes} bytes, over the ${MAX_SERVERS_JSON_BYTES} bytes that fit in a Lambda ` +
        'environment variable beside the others; shorten descriptions or cacheableTools lists, or configure fewer servers.',
    );
  }
}
