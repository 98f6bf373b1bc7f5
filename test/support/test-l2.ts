import { Redis } from 'ioredis';

import { L2Cache } from '../../lambdas/runtime/cache/l2/l2-cache';
import { L2Guard } from '../../lambdas/runtime/cache/l2/l2-guard';
import { createRedisClient } from '../../lambdas/runtime/cache/l2/redis-client';

/**
 * Budget of each L2 command in tests, in ms: longer than the production default, so that a
 * busy CI machine does not turn a slow loopback round trip into a miss.
 */
export const TEST_L2_BUDGET_MS = 200;

/** Creates an L2 tier on a test Redis on loopback, as the runtime builds it. Close it with `close()`. */
export function createTestL2(port: number, budgetMs = TEST_L2_BUDGET_MS): L2Cache {
  const client = createRedisClient({ mode: 'standalone', host: '127.0.0.1', port, tls: false });
  return new L2Cache(client, new L2Guard({ budgetMs }));
}

/**
 * Opens a plain ioredis client on a test Redis, to inspect and seed keys beside the cache.
 * Close it with `disconnect()`.
 */
export function createInspector(port: number): Redis {
  return new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 1 });
}

/** Lists the cache entries in Redis: keys of the `mcpa` namespace other than generation counters and locks. */
export async function listEntryKeys(inspector: Redis): Promise<string[]> {
  const keys = await inspector.keys('mcpa:*');
  return keys.filter((key) => !key.startsWith('mcpa:gen:') && !key.endsWith(':lock')).sort();
}
