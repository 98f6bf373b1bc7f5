import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

import { resolveServer } from '../lambdas/runtime/config/server-config';
import { createRuntimeContext } from '../lambdas/runtime/runtime-context';
import type { QueryRequest } from '../lambdas/runtime/request/query-request';
import type { TestMcpServer } from '../test/support/test-mcp-server';
import { createTestL2 } from '../test/support/test-l2';
import { quantile } from './stats';

/** p50 and p99 of one latency workload, in ms. */
export interface LatencyFigures {
  readonly p50: number;
  readonly p99: number;
}

/** Latencies of `iterations` sequential calls, each timed alone, in ms. */
async function latenciesMs(iterations: number, call: (index: number) => Promise<unknown>): Promise<number[]> {
  const latencies: number[] = [];
  for (let index = 0; index < iterations; index += 1) {
    const startedAt = performance.now();
    await call(index);
    latencies.push(performance.now() - startedAt);
  }
  return latencies;
}

function percentiles(latencies: readonly number[]): LatencyFigures {
  return { p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99) };
}

/** Opens an MCP SDK client on the test server, as an agent without the accelerator would. */
export async function connectSdkClient(upstream: TestMcpServer): Promise<Client> {
  const client = new Client({ name: 'bench-baseline', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(upstream.url)));
  return client;
}

/** Baseline: the same `work` call made directly with the MCP SDK client, sequentially, with no cache. */
export async function measureBaseline(upstream: TestMcpServer, delayMs: number, iterations: number): Promise<LatencyFigures> {
  const client = await connectSdkClient(upstream);
  try {
    await client.callTool({ name: 'work', arguments: { key: 'warm', delayMs } });
    return percentiles(await latenciesMs(iterations, () => client.callTool({ name: 'work', arguments: { key: 'baseline', delayMs } })));
  } finally {
    await client.close();
  }
}

/**
 * Measures the runtime in process: QueryRunner.run for one cached `work` query, L1 hits and L2 hits
 * (an L1 of one byte stores nothing, so every hit comes from Redis).
 */
export async function measureRuntimeInProcess(upstream: TestMcpServer, redisPort: number, delayMs: number, iterations: number): Promise<{ l1: LatencyFigures; l2: LatencyFigures }> {
  const server = resolveServer('bench', { url: upstream.url, cache: { ttlSeconds: 3_600, cacheableTools: ['work'] } });
  const request: QueryRequest = {
    concurrency: 1,
    queries: [{ id: 'q', index: 0, server: 'bench', method: 'tools/call', params: { name: 'work', arguments: { key: 'in-process', delayMs } }, cache: 'default', timeoutMs: 10_000 }],
  };
  const run = (context: ReturnType<typeof createRuntimeContext>) => context.runner.run(request, { onOutcome: () => undefined });

  const l1Context = createRuntimeContext([server], { l2: createTestL2(redisPort, 1_000) });
  const l2Context = createRuntimeContext([server], { l2: createTestL2(redisPort, 1_000), l1MaxSizeBytes: 1 });
  try {
    await run(l1Context);
    await l1Context.cache.settle();
    await run(l2Context);
    await latenciesMs(200, () => run(l1Context));
    await latenciesMs(200, () => run(l2Context));
    const l1 = percentiles(await latenciesMs(iterations, () => run(l1Context)));
    const l2 = percentiles(await latenciesMs(iterations, () => run(l2Context)));
    return { l1, l2 };
  } finally {
    for (const context of [l1Context, l2Context]) {
      await context.clients.close();
      await context.cache.close();
    }
  }
}

/**
 * Measures the peer cache, BentoCache (memory plus Redis) around the same MCP SDK call: its L1 hits,
 * its L2 hits (a store with the Redis layer only) and a stampede of identical misses.
 */
export async function measureBentoCache(upstream: TestMcpServer, redisPort: number, delayMs: number, iterations: number, stampedeCallers: number): Promise<{ l1: LatencyFigures; l2: LatencyFigures; stampedeCalls: number }> {
  const { BentoCache, bentostore } = await import('bentocache');
  const { memoryDriver } = await import('bentocache/drivers/memory');
  const { redisDriver } = await import('bentocache/drivers/redis');
  const connection = { host: '127.0.0.1', port: redisPort };
  const bento = new BentoCache({
    default: 'hybrid',
    stores: {
      hybrid: bentostore().useL1Layer(memoryDriver({ maxSize: '100mb' })).useL2Layer(redisDriver({ connection })),
      redisOnly: bentostore().useL2Layer(redisDriver({ connection, prefix: 'bento-l2' })),
    },
  });
  const client = await connectSdkClient(upstream);
  const call = (key: string) => () => client.callTool({ name: 'work', arguments: { key, delayMs } });

  try {
    const hybrid = bento.use('hybrid');
    const redisOnly = bento.use('redisOnly');
    await hybrid.getOrSet({ key: 'bench:bento', factory: call('bento'), ttl: '1h' });
    await redisOnly.getOrSet({ key: 'bench:bento', factory: call('bento'), ttl: '1h' });
    await latenciesMs(200, () => hybrid.getOrSet({ key: 'bench:bento', factory: call('bento'), ttl: '1h' }));
    await latenciesMs(200, () => redisOnly.getOrSet({ key: 'bench:bento', factory: call('bento'), ttl: '1h' }));
    const l1 = percentiles(await latenciesMs(iterations, () => hybrid.getOrSet({ key: 'bench:bento', factory: call('bento'), ttl: '1h' })));
    const l2 = percentiles(await latenciesMs(iterations, () => redisOnly.getOrSet({ key: 'bench:bento', factory: call('bento'), ttl: '1h' })));

    const before = upstream.callsOf('work');
    const stampedeKey = `bench:bento:stampede:${Date.now()}`;
    await Promise.all(Array.from({ length: stampedeCallers }, () => hybrid.getOrSet({ key: stampedeKey, factory: call(stampedeKey), ttl: '1h' })));
    return { l1, l2, stampedeCalls: upstream.callsOf('work') - before };
  } finally {
    await client.close();
    await bento.disconnectAll();
  }
}
