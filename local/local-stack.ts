import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import type { Server } from 'node:http';

import { RUNTIME_ENV } from '../lambdas/runtime/config/environment';
import { API_ROUTES } from '../lambdas/runtime/handlers/api-router';
import { closeRuntimeContext } from '../lambdas/runtime/runtime-context';
import { parseAcceleratorConfig, type ResolvedServer } from '../lambdas/runtime/config/server-config';
import { setMetricsSource } from '../lambdas/runtime/metrics/metrics-report';
import { setMetricObserver } from '../lambdas/runtime/metrics/request-metrics';
import { launchBundledServer, type LaunchedServer } from './bundled-servers';
import { createDashboardServer } from './dashboard-server';
import { LocalMetricsStore } from './local-metrics';
import { installLambdaStreamingGlobal } from './lambda-streaming';
import { createFunctionUrlServer, createRestApiServer, LOCAL_STAGE } from './local-hosts';

/** Loopback address of every local host. */
export const LOCAL_HOST = '127.0.0.1';

/** Default path of the configuration file, relative to the working directory. */
export const DEFAULT_CONFIG_PATH = 'mcp-accelerator.config.json';

/** Options of the local stack. */
export interface LocalStackOptions {
  /** Path of the configuration file. @default DEFAULT_CONFIG_PATH */
  readonly configPath?: string;
  /** Port of the function URL host; 0 picks a free port. @default 0 */
  readonly functionUrlPort?: number;
  /** Port of the REST API host; 0 picks a free port. @default 0 */
  readonly apiPort?: number;
  /** Port of the local metrics dashboard; 0 picks a free port. @default 0 */
  readonly dashboardPort?: number;
  /**
   * `redis://` URL of a Redis to use as L2.
   * @default - L1 only
   */
  readonly redisUrl?: string;
}

/** A running local stack. */
export interface LocalStack {
  /** URL of the streaming function, as a function URL would be. */
  readonly functionUrl: string;
  /** URL of `POST /query` on the local REST API stage. */
  readonly queryUrl: string;
  /** Base URL of the local REST API stage, for the other routes. */
  readonly apiUrl: string;
  /** URL of the local dashboard page, which plots this process's metrics live. */
  readonly dashboardUrl: string;
  readonly servers: readonly ResolvedServer[];
  /** URL of the Redis used as L2, if any. */
  readonly redisUrl?: string;
  /** Stops the hosts and every bundled server. */
  stop(): Promise<void>;
}

/**
 * Starts what `npm start` runs: the bundled MCP servers that the config names, and the
 * unchanged Lambda handlers behind a function URL host and a REST API host, all on loopback.
 */
export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const configPath = resolve(options.configPath ?? DEFAULT_CONFIG_PATH);
  const config = parseAcceleratorConfig(JSON.parse(readFileSync(configPath, 'utf8')), configPath);

  const launched: LaunchedServer[] = [];
  const servers: ResolvedServer[] = [];
  const hosts: Server[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(hosts.map(closeServer));
    setMetricObserver(undefined);
    setMetricsSource(undefined);
    await closeRuntimeContext();
    await Promise.all(launched.map((server) => server.stop()));
  };

  try {
    for (const [name, server] of Object.entries(config.servers)) {
      let url = server.url;
      if (server.launch !== undefined) {
        const child = await launchBundledServer(server.launch);
        launched.push(child);
        url = child.url;
      }
      servers.push({ ...server, name, url: url! });
    }

    // The handlers read their servers and cache from the environment, as they do in Lambda.
    process.env[RUNTIME_ENV.servers] = JSON.stringify(Object.fromEntries(servers.map(({ name, ...server }) => [name, server])));
    if (options.redisUrl !== undefined) {
      process.env[RUNTIME_ENV.cacheUrl] = options.redisUrl;
    } else {
      delete process.env[RUNTIME_ENV.cacheUrl];
    }
    installLambdaStreamingGlobal();
    // GET /metrics and the dashboard report this process's own figures, as CloudWatch does in AWS.
    const metricsStore = new LocalMetricsStore();
    setMetricObserver((definition, value, dimensions) => metricsStore.record(definition, value, dimensions));
    setMetricsSource(metricsStore);
    // Required here, not imported above, because the handlers read that environment on load.
    const { handler: streamHandler } = require('../lambdas/stream-query/handler') as typeof import('../lambdas/stream-query/handler');
    const { handler: apiHandler } = require('../lambdas/api-query/handler') as typeof import('../lambdas/api-query/handler');

    const functionUrlHost = createFunctionUrlServer(streamHandler, 'stream-query');
    hosts.push(functionUrlHost);
    const functionUrlPort = await listen(functionUrlHost, options.functionUrlPort ?? 0);

    const apiRoutes = API_ROUTES.map((route) => {
      const [method, path] = route.split(' ');
      return { method, path, handler: apiHandler };
    });
    const apiHost = createRestApiServer(apiRoutes);
    hosts.push(apiHost);
    const apiPort = await listen(apiHost, options.apiPort ?? 0);

    const dashboardHost = createDashboardServer(metricsStore, servers.map((server) => server.name));
    hosts.push(dashboardHost);
    const dashboardPort = await listen(dashboardHost, options.dashboardPort ?? 0);

    return {
      functionUrl: `http://${LOCAL_HOST}:${functionUrlPort}/`,
      queryUrl: `http://${LOCAL_HOST}:${apiPort}/${LOCAL_STAGE}/query`,
      apiUrl: `http://${LOCAL_HOST}:${apiPort}/${LOCAL_STAGE}`,
      dashboardUrl: `http://${LOCAL_HOST}:${dashboardPort}/`,
      servers,
      redisUrl: options.redisUrl,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolvePort, reject) => {
    server.once('error', reject);
    server.listen(port, LOCAL_HOST, () => resolvePort((server.address() as AddressInfo).port));
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolveClose) => {
    if (!server.listening) {
      resolveClose();
      return;
    }
    server.close(() => resolveClose());
    // Keep-alive connections would hold close() open until they time out.
    server.closeAllConnections();
  });
}
