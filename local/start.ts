// `npm start`: runs mcp-accelerator on this machine, with the same handlers as in Lambda.
import './local-defaults';

import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { parseArgs } from 'node:util';

import { Redis } from 'ioredis';

import { DEFAULT_CONFIG_PATH, LOCAL_HOST, startLocalStack, type LocalStack } from './local-stack';

/** Ports tried first, so that the URLs stay the same from one run to the next. */
const DEFAULT_FUNCTION_URL_PORT = 3000;
const DEFAULT_API_PORT = 3001;
const DEFAULT_DASHBOARD_PORT = 3002;

const USAGE = `Usage: npm start -- [--config FILE] [--port N] [--api-port N] [--dashboard-port N] [--redis-url URL]
  --config FILE        configuration file (default ${DEFAULT_CONFIG_PATH})
  --redis-url URL      redis:// URL of a Redis to use as the L2 cache (default: $REDIS_URL, or none)
  --port N             port of the function URL host (default ${DEFAULT_FUNCTION_URL_PORT}, or a free port if taken)
  --api-port N         port of the REST API host (default ${DEFAULT_API_PORT}, or a free port if taken)
  --dashboard-port N   port of the local metrics dashboard (default ${DEFAULT_DASHBOARD_PORT}, or a free port if taken)`;

function parsePort(text: string | undefined, fallback: number, option: string): number {
  if (text === undefined) {
    return fallback;
  }
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new Error(`${option} must be a port number from 0 to 65535, got "${text}"`);
  }
  return port;
}

/** Resolves `port` if it is free on loopback, or 0 so that the host picks a free one. */
function freeOrAny(port: number): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(0));
    probe.listen(port, LOCAL_HOST, () => {
      const { port: bound } = probe.address() as AddressInfo;
      probe.close(() => resolve(bound === port ? port : 0));
    });
  });
}

/** Time allowed for the start-up check of the Redis URL, in ms. */
const REDIS_CHECK_TIMEOUT_MS = 1_000;

/** Tells whether a Redis responds to PING, so that a wrong URL is reported at start and not only in /health. */
async function isRedisReachable(url: string): Promise<boolean> {
  const client = new Redis(url, { lazyConnect: true, connectTimeout: REDIS_CHECK_TIMEOUT_MS, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.ping();
    return true;
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

/** Hides the password of a Redis URL before it is printed. */
function redactPassword(url: string): string {
  const parsed = new URL(url);
  if (parsed.password !== '') {
    parsed.password = '***';
  }
  return parsed.toString();
}

function exampleCurl(stack: LocalStack): string {
  const everything = stack.servers.find((server) => server.launch === 'server-everything');
  const queries = everything
    ? [
        { id: 'a', server: everything.name, tool: 'echo', arguments: { message: 'hello' } },
        { id: 'b', server: everything.name, tool: 'echo', arguments: { message: 'hello' } },
        { id: 'c', server: everything.name, tool: 'get-sum', arguments: { a: 2, b: 3 } },
      ]
    : [{ id: 'a', server: stack.servers[0].name, method: 'tools/list' }];
  return `curl -sN ${stack.functionUrl} -H 'content-type: application/json' -d '${JSON.stringify({ queries })}'`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      config: { type: 'string' },
      port: { type: 'string' },
      'api-port': { type: 'string' },
      'redis-url': { type: 'string' },
      'dashboard-port': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }

  const stack = await startLocalStack({
    configPath: values.config,
    functionUrlPort: await freeOrAny(parsePort(values.port, DEFAULT_FUNCTION_URL_PORT, '--port')),
    apiPort: await freeOrAny(parsePort(values['api-port'], DEFAULT_API_PORT, '--api-port')),
    dashboardPort: await freeOrAny(parsePort(values['dashboard-port'], DEFAULT_DASHBOARD_PORT, '--dashboard-port')),
    redisUrl: values['redis-url'] ?? (process.env.REDIS_URL || undefined),
  });

  const cache = stack.redisUrl === undefined ? 'in-memory cache' : `L1 in memory, L2 on Redis at ${redactPassword(stack.redisUrl)}`;
  console.log(`mcp-accelerator is running locally (${cache}).\n`);
  if (stack.redisUrl !== undefined && !(await isRedisReachable(stack.redisUrl))) {
    console.warn(`  Warning: Redis at ${redactPassword(stack.redisUrl)} does not respond; queries use L1 only until it does.\n`);
  }
  for (const server of stack.servers) {
    console.log(`  MCP server    ${server.name}: ${server.url}${server.launch ? ` (${server.launch}, started by npm start)` : ''}`);
  }
  console.log(`  Function URL  POST ${stack.functionUrl}   (streams NDJSON, SSE, lines or chunks)`);
  console.log(`  REST API      POST ${stack.queryUrl}   (buffered JSON)`);
  console.log(`                GET ${stack.apiUrl}/servers, GET ${stack.apiUrl}/health, GET ${stack.apiUrl}/metrics, DELETE ${stack.apiUrl}/cache?server=NAME`);
  console.log(`  Dashboard     ${stack.dashboardUrl}   (this process's metrics, live)\n`);
  console.log('Try it, then run it again to see cache hits:\n');
  console.log(`  ${exampleCurl(stack)}\n`);
  console.log('Press Ctrl-C to stop.');

  let stopping = false;
  const shutDown = (): void => {
    if (stopping) {
      process.exit(1);
    }
    stopping = true;
    console.log('\nStopping...');
    void stack.stop().then(() => process.exit(0));
  };
  process.on('SIGINT', shutDown);
  process.on('SIGTERM', shutDown);
}

main().catch((error: unknown) => {
  console.error(`npm start failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
