import { Annotations, CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';

import type { AcceleratorConfig } from '../lambdas/runtime/config/server-config';
import { ApiQueryFunction } from './api-query-function';
import { CacheCluster } from './cache-cluster';
import { splitServersByTarget } from './config-file';
import { AcceleratorDashboard } from './dashboard';
import { Network } from './network';
import { QueryApi } from './query-api';
import { RuntimeLayer } from './runtime-layer';
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
   * NAT gateways of the VPC, 1 or 2.
   * @default 1
   */
  readonly natGateways?: number;

  /**
   * Node type of the cache.
   * @default 'cache.t4g.micro'
   */
  readonly cacheNodeType?: string;

  /**
   * Entry files of the layer and the handlers.
   * @default - the files in this repository
   */
  readonly entries?: AcceleratorEntries;
}

/**
 * The whole accelerator: VPC, Valkey cache, runtime layer, streaming and API functions, REST API
 * and dashboard, with stack outputs for every URL and the cache endpoint.
 */
export class McpAcceleratorStack extends Stack {
  /** The network. */
  readonly network: Network;
  /** The L2 cache. */
  readonly cache: CacheCluster;
  /** The runtime layer. */
  readonly runtimeLayer: RuntimeLayer;
  /** The streaming function and its URL. */
  readonly streamQuery: StreamQueryFunction;
  /** The REST API's function. */
  readonly apiQuery: ApiQueryFunction;
  /** The REST API. */
  readonly queryApi: QueryApi;
  /** The dashboard. */
  readonly dashboard: AcceleratorDashboard;

  constructor(scope: Construct, id: string, props: McpAcceleratorStackProps) {
    super(scope, id, {
      description: 'mcp-accelerator: a cache and parallel query layer in front of MCP servers',
      ...props,
    });

    const servers = splitServersByTarget(props.config);
    this.warnAboutLocalOnlyServers(servers.localOnly, Object.keys(servers.cloud).length);

    this.network = new Network(this, 'Network', { natGateways: props.natGateways });
    this.cache = new CacheCluster(this, 'Cache', {
      vpc: this.network.vpc,
      subnets: this.network.privateSubnets,
      clientSecurityGroup: this.network.functionsSecurityGroup,
      cacheNodeType: props.cacheNodeType,
    });
    this.runtimeLayer = new RuntimeLayer(this, 'RuntimeLayer', { entry: props.entries?.runtime });

    const functionOptions = {
      layer: this.runtimeLayer.layerVersion,
      vpc: this.network.vpc,
      vpcSubnets: this.network.privateSubnets,
      securityGroup: this.network.functionsSecurityGroup,
      servers: servers.cloud,
      cache: this.cache,
    };
    this.streamQuery = new StreamQueryFunction(this, 'StreamQuery', { ...functionOptions, entry: props.entries?.streamQuery });
    this.apiQuery = new ApiQueryFunction(this, 'ApiQuery', { ...functionOptions, entry: props.entries?.apiQuery });

    this.queryApi = new QueryApi(this, 'QueryApi', { queryFunction: this.apiQuery.function });
    this.dashboard = new AcceleratorDashboard(this, 'Dashboard', {
      streamFunction: this.streamQuery.function,
      apiFunction: this.apiQuery.function,
    });

    this.addOutputs();
  }

  private addOutputs(): void {
    new CfnOutput(this, 'FunctionUrl', {
      description: 'Streaming endpoint (POST /, SigV4 signed for the lambda service)',
      value: this.streamQuery.functionUrl.url,
    });
    new CfnOutput(this, 'ApiUrl', {
      description: 'REST API stage URL; POST {ApiUrl}query, SigV4 signed for the execute-api service',
      value: this.queryApi.restApi.url,
    });
    new CfnOutput(this, 'DashboardUrl', {
      description: 'CloudWatch dashboard in the console',
      value: this.dashboard.dashboardUrl,
    });
    new CfnOutput(this, 'CacheEndpoint', {
      description: 'Primary endpoint of the Valkey cache (TLS), reachable only from the functions',
      value: `${this.cache.endpointAddress}:${this.cache.port}`,
    });
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
