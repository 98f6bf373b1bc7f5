// A separate process that loads one key through its own HybridCache on a shared Redis, as one
// Lambda instance in a stampede would. It waits for "go" on stdin so that every worker starts
// at once, makes CONCURRENCY concurrent loads (default 1), then prints one JSON line:
// { shared, text } of the first load, and { sharedCount } over all of them.
import { createInterface } from 'node:readline';

import { HybridCache } from '../../../lambdas/runtime/cache/hybrid-cache';
import { L2Cache } from '../../../lambdas/runtime/cache/l2/l2-cache';
import { L2Guard } from '../../../lambdas/runtime/cache/l2/l2-guard';
import { createRedisClient } from '../../../lambdas/runtime/cache/l2/redis-client';
import { McpClientPool } from '../../../lambdas/runtime/mcp/client-pool';
import { resolveServer } from '../../../lambdas/runtime/config/server-config';

async function main(): Promise<void> {
  const [redisPort, upstreamUrl, key, concurrencyText] = process.argv.slice(2);
  const concurrency = Number(concurrencyText ?? '1');
  const l2 = new L2Cache(createRedisClient({ mode: 'standalone', host: '127.0.0.1', port: Number(redisPort), tls: false }), new L2Guard({ budgetMs: 500 }));
  const cache = new HybridCache({ l2 });
  const clients = new McpClientPool([resolveServer('test', { url: upstreamUrl })]);

  // Connects both before the start signal, so that only the load itself races.
  await l2.ping();
  await clients.call('test', 'tools/list', {}, { timeoutMs: 5000 });
  process.stdout.write('ready\n');
  await new Promise<void>((resolve) => createInterface({ input: process.stdin }).once('line', () => resolve()));

  const loader = () => clients.call('test', 'tools/call', { name: 'lookup', arguments: { key, delayMs: 300 } }, { timeoutMs: 5000 });
  const decide = () => ({ key, options: { ttlMs: 60_000, graceMs: 0 } });
  const results = await Promise.all(Array.from({ length: concurrency }, () => cache.load(key, loader, decide, { maxWaitMs: 5000 })));
  await cache.close();
  await clients.close();
  const [first] = results;
  const sharedCount = results.filter((result) => result.shared).length;
  process.stdout.write(`${JSON.stringify({ shared: first.shared, text: JSON.stringify(first.value), sharedCount })}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`stampede worker failed: ${String(error)}\n`);
  process.exit(1);
});
