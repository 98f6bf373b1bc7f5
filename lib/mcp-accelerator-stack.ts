import { Annotations, CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import { FunctionUrlAuthType } from 'aws-cdk-lib/aws-lambda';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';

import type { AcceleratorConfig } from '../lambdas/runtime/config/server-config';
import { AcceleratorAlarms } from './alarms';
import { ApiQueryFunction } from './api-query-function';
import { CacheCluster } from './cache-cluster';
import { splitServersByTarget } from './config-file';
import { AcceleratorDashboard } from './dashboard';
import { parseDeploymentOptions, type DeploymentOptions } from './deployment-options';
import type { L2Cache } from './l2-cache';
import { Network } from './network';
import { QueryApi } from './query-api';
import type { UpstreamAuth } from './query-function';
import { RuntimeLayer } from './runtime-layer';
import { ServerlessCache } from './serverless-cache';
import { StreamQueryFunction } from './stream-query-function';

/** Entry files of the layer and the handlers, which tests may point at other files. */
export interface AcceleratorEntries {
  /**
   * Entry of the runtime layer.
   * @default - lambdas/runtime/index.ts in this repository
   */
  readonly runtime?: string;
  /**
   * Entry of the streaming handler.
   * @default - lambdas/stream-query/handler.ts in this repository
   */
  readonly streamQuery?: string;
  /**
   * Entry of the API handler.
   * @default - lambdas/api-query/handler.ts in this repository
   */
  readonly apiQuery?: string;
}

/** Properties of {@link McpAcceleratorStack}. */
export interface McpAcceleratorStackProps extends StackProps {
  /** The validated configuration file, whose servers with a URL the functions may call. */
  readonly config: AcceleratorConfig;

  /**
   * Infrastructure options, as `parseDeploymentOptions` returns them from CDK context.
   * @default - the default of every option
   */
  readonly options?: DeploymentOptions;

  /**
   * Entry files of the layer and the handlers.
   * @default - the files in this repository
   */
  readonly entries?: AcceleratorEntries;
}

/**
 * The whole accelerator: network, Valkey cache (provisioned or serverless), runtime layer,
 * streaming and API functions, REST API, alarms and dashboard, with stack outputs for every URL
 * and the cache endpoint.
 */
export class McpAcceleratorStack extends Stack {
  /** The network. */
  readonly network: Network;
  /** The L2 cache. */
  readonly cache: L2Cache;
  /** The runtime layer. */
  readonly runtimeLayer: RuntimeLayer;
  /** The streaming function and its URL. */
  readonly streamQuery: StreamQueryFunction;
  /** The REST API's function. */
  readonly apiQuery: ApiQueryFunction;
  /** The REST API. */
  readonly queryApi: QueryApi;
  /** The alarms. */
  readonly alarms: AcceleratorAlarms;
  /** The dashboard. */
  readonly dashboard: AcceleratorDashboard;

  constructor(scope: Construct, id: string, props: McpAcceleratorStackProps) {
    super(scope, id, {
      description: 'mcp-accelerator: a cache and parallel query layer in front of MCP servers',
      ...props,
    });
    const options = props.options ?? parseDeploymentOptions({});

    const servers = splitServersByTarget(props.config);
    this.warnAboutLocalOnlyServers(servers.localOnly, Object.keys(servers.cloud).length);

    this.network = new Network(this, 'Network', {
      natGateways: options.natGateways,
      interfaceEndpoints: options.vpcEndpoints,
      importVpc:
        options.vpcId === undefined
          ? undefined
          : {
              vpcId: options.vpcId,
              privateSubnetIds: options.vpcPrivateSubnetIds ?? [],
              availabilityZones: options.vpcAvailabilityZones ?? [],
            },
    });
    this.cache = this.createCache(options);
    this.runtimeLayer = new RuntimeLayer(this, 'RuntimeLayer', { entry: props.entries?.runtime });

    const functionOptions = {
      layer: this.runtimeLayer.layerVersion,
      vpc: this.network.vpc,
      vpcSubnets: this.network.privateSubnets,
      securityGroup: this.network.functionsSecurityGroup,
      servers: servers.cloud,
      cache: this.cache,
      upstreamAuth: this.importUpstreamSecrets(options),
      memorySizeMb: options.functionMemoryMb,
      // RetentionDays values are the number of days, and the options schema admits only valid ones.
      logRetention: options.logRetentionDays as RetentionDays,
      logLevel: options.logLevel,
    };
    this.streamQuery = new StreamQueryFunction(this, 'StreamQuery', {
      ...functionOptions,
      entry: props.entries?.streamQuery,
      timeout: Duration.seconds(options.streamTimeoutSeconds),
      padToBytes: options.streamPadBytes,
      authType: options.functionUrlAuth === 'NONE' ? FunctionUrlAuthType.NONE : FunctionUrlAuthType.AWS_IAM,
      corsAllowedOrigins: options.corsAllowedOrigins,
    });
    this.apiQuery = new ApiQueryFunction(this, 'ApiQuery', {
      ...functionOptions,
      entry: props.entries?.apiQuery,
      timeout: Duration.seconds(options.apiTimeoutSeconds),
    });

    this.queryApi = new QueryApi(this, 'QueryApi', {
      queryFunction: this.apiQuery.function,
      throttlingRateLimit: options.apiThrottlingRateLimit,
      throttlingBurstLimit: options.apiThrottlingBurstLimit,
      accessLogRetention: options.logRetentionDays as RetentionDays,
      streamQueryResponses: options.apiResponseStreaming,
    });
    this.alarms = new AcceleratorAlarms(this, 'Alarms', {
      serverNames: Object.keys(servers.cloud),
      hitRateThresholdPercent: options.hitRateAlarmPercent,
      p99LatencyThresholdMs: options.p99LatencyAlarmMs,
      email: options.alarmEmail,
      topic: options.alarmTopicArn === undefined ? undefined : Topic.fromTopicArn(this, 'AlarmTopic', options.alarmTopicArn),
    });
    this.dashboard = new AcceleratorDashboard(this, 'Dashboard', {
      streamFunction: this.streamQuery.function,
      apiFunction: this.apiQuery.function,
      cacheHealthGraphs: (period) => this.cache.healthGraphs(period),
      alarms: this.alarms.alarms,
    });

    this.addOutputs();
  }

  private createCache(options: DeploymentOptions): L2Cache {
    const common = {
      vpc: this.network.vpc,
      subnets: this.network.privateSubnets,
      clientSecurityGroup: this.network.functionsSecurityGroup,
    };
    if (options.cacheMode === 'serverless') {
      return new ServerlessCache(this, 'ServerlessCache', {
        ...common,
        maxDataStorageGb: options.serverlessMaxDataStorageGb,
        maxEcpuPerSecond: options.serverlessMaxEcpuPerSecond,
      });
    }
    return new CacheCluster(this, 'Cache', {
      ...common,
      cacheNodeType: options.cacheNodeType,
      replicasPerPrimary: options.cacheReplicas,
    });
  }

  /** Imports the secrets that `serverAuth` names, by name or by complete ARN. */
  private importUpstreamSecrets(options: DeploymentOptions): Record<string, UpstreamAuth> {
    const upstreamAuth: Record<string, UpstreamAuth> = {};
    for (const [server, auth] of Object.entries(options.serverAuth)) {
      // NOTE: a secret encrypted with a customer managed KMS key also needs kms:Decrypt, which is not granted.
      const secret =
        auth.secretArn !== undefined
          ? Secret.fromSecretCompleteArn(this, `UpstreamSecret-${server}`, auth.secretArn)
          : Secret.fromSecretNameV2(this, `UpstreamSecret-${server}`, auth.secretName ?? '');
      upstreamAuth[server] = { secret, header: auth.header };
    }
    return upstreamAuth;
  }

  private addOutputs(): void {
    new CfnOutput(this, 'FunctionUrl', {
      description: 'Streaming endpoint: POST a query request here for results as they complete (SigV4, service lambda)',
      value: this.streamQuery.functionUrl.url,
    });
    new CfnOutput(this, 'ApiUrl', {
      description: 'REST API stage URL: {ApiUrl}query, servers, metrics, health and cache (SigV4, service execute-api)',
      value: this.queryApi.restApi.url,
    });
    new CfnOutput(this, 'DashboardUrl', {
      description: 'CloudWatch dashboard of hit rate, latency, upstream health and the cache cluster',
      value: this.dashboard.dashboardUrl,
    });
    new CfnOutput(this, 'CacheEndpoint', {
      description: `Endpoint of the ${this.cache.mode} Valkey cache (TLS), reachable only from the functions; for debugging from inside the VPC`,
      value: `${this.cache.endpointAddress}:${this.cache.port}`,
    });
    if (this.alarms.topic !== undefined) {
      new CfnOutput(this, 'AlarmTopicArn', {
        description: 'SNS topic that the alarms notify; subscribe more endpoints to it',
        value: this.alarms.topic.topicArn,
      });
    }
  }

  private warnAboutLocalOnlyServers(localOnly: readonly string[], cloudServerCount: number): void {
    for (const name of localOnly) {
      Annotations.of(this).addWarningV2(
        `mcp-accelerator:localOnlyServer:${name}`,
        `Server "${name}" has "launch" and no "url", so only npm start hosts it and the cloud functions skip it; ` +
          'add a "url" to its entry in the config file to call it from Lambda.',
      );
    }
    if (cloudServerCount === 0) {
      Annotations.of(this).addWarningV2(
        'mcp-accelerator:noCloudServers',
        'No configured server has a "url", so the deployed functions reject every query; add a server with the ' +
          'URL of its Streamable HTTP endpoint to the config file.',
      );
    }
  }
}
