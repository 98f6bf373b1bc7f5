import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

import { Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';

import { HybridCache } from '../lambdas/runtime/cache/hybrid-cache';
import { L2Cache } from '../lambdas/runtime/cache/l2/l2-cache';
import { L2Guard } from '../lambdas/runtime/cache/l2/l2-guard';
import { createRedisClient } from '../lambdas/runtime/cache/l2/redis-client';
import { MemoryCache } from '../lambdas/runtime/cache/memory-cache';
import { TestMcpServer } from '../test/support/test-mcp-server';
import { quantile, seededRandom, zipfSampler } from './stats';

/** A 2 KB MCP result, the value size the cache targets are stated for. */
export const TWO_KB_RESULT = { content: [{ type: 'text', text: 'x'.repeat(2000) }] };

const writeOptions = { ttlMs: 3_600_000, graceMs: 0 };

function createL2(port: number): L2Cache {
  // A generous budget: the benchmark measures a healthy cache, not the guard.
  return new L2Cache(createRedisClient({ mode: 'standalone', host: '127.0.0.1', port, tls: false }), new L2Guard({ budgetMs: 1000 }));
}

/** Mean time of one call, in µs, over `iterations` calls timed as one batch. */
function meanMicroseconds(iterations: number, call: () => unknown): number {
  const startedAt = process.hrtime.bigint();
  for (let index = 0; index < iterations; index += 1) {
    call();
  }
  return Number(process.hrtime.bigint() - startedAt) / iterations / 1000;
}

/** Latencies of `iterations` sequential async calls, each timed alone, in µs. */
async function latenciesMicroseconds(iterations: number, call: () => Promise<unknown>): Promise<number[]> {
  const latencies: number[] = [];
  for (let index = 0; index < iterations; index += 1) {
    const startedAt = process.hrtime.bigint();
    await call();
    latencies.push(Number(process.hrtime.bigint() - startedAt) / 1000);
  }
  return latencies;
}

/** In-process L1 figures of one run: a bare lru-cache get against our L1 hit, both in µs. */
export async function measureL1(iterations: number): Promise<{ bareLruMicros: number; l1HitMicros: number }> {
  const bare = new LRUCache<string, object>({ max: 1000 });
  bare.set('key', TWO_KB_RESULT);
  const cache = new HybridCache();
  await cache.set('key', TWO_KB_RESULT, writeOptions);

  // Warm both paths so the JIT has compiled them before the timed batches.
  meanMicroseconds(iterations, () => bare.get('key'));
  meanMicroseconds(iterations, () => cache.l1.get('key'));

  const bareLruMicros = meanMicroseconds(iterations, () => bare.get('key'));
  // HybridCache.get is async; its L1 path settles without I/O, so the await is the only extra cost.
  const startedAt = process.hrtime.bigint();
  for (let index = 0; index < iterations; index += 1) {
    await cache.get('key');
  }
  const l1HitMicros = Number(process.hrtime.bigint() - startedAt) / iterations / 1000;
  return { bareLruMicros, l1HitMicros };
}

/** L2 figures of one run: a raw ioredis GET against our L2 hit (decode included), p50 and p99 in µs. */
export async function measureL2(redisPort: number, iterations: number): Promise<{ rawP50: number; rawP99: number; l2P50: number; l2P99: number }> {
  const raw = new Redis({ host: '127.0.0.1', port: redisPort, lazyConnect: true });
  await raw.connect();
  // An L1 of one byte stores nothing, so every lookup goes to L2.
  const cache = new HybridCache({ l1: new MemoryCache({ maxSizeBytes: 1 }), l2: createL2(redisPort) });
  await cache.set('bench:l2', TWO_KB_RESULT, writeOptions);
  await raw.set('bench:raw', JSON.stringify(TWO_KB_RESULT));

  try {
    await latenciesMicroseconds(500, () => raw.getBuffer('bench:raw'));
    await latenciesMicroseconds(500, () => cache.get('bench:l2'));
    // Interleaved halves, so both see the same machine noise.
    const rawLatencies: number[] = [];
    const l2Latencies: number[] = [];
    for (let half = 0; half < 2; half += 1) {
      rawLatencies.push(...(await latenciesMicroseconds(iterations / 2, () => raw.getBuffer('bench:raw'))));
      l2Latencies.push(...(await latenciesMicroseconds(iterations / 2, () => cache.get('bench:l2'))));
    }
    return {
      rawP50: quantile(rawLatencies, 0.5),
      rawP99: quantile(rawLatencies, 0.99),
      l2P50: quantile(l2Latencies, 0.5),
      l2P99: quantile(l2Latencies, 0.99),
    };
  } finally {
    raw.disconnect();
    await cache.close();
  }
}

/**
 * Hit rate of a Zipf(1.0) workload over `keyCount` keys with L1 capped at `l1Entries`,
 * against an unbounded cache fed the same sequence, both in percent.
 */
export async function measureZipf(redisPort: number, requests: number, keyCount: number, l1Entries: number, seed: number): Promise<{ ours: number; unbounded: number; l1Only: number; upstreamCalls: number }> {
  const cache = new HybridCache({ l1: new MemoryCache({ maxEntries: l1Entries }), l2: createL2(redisPort) });
  const nextRank = zipfSampler(keyCount, 1.0, seededRandom(seed));
  const seen = new Set<number>();
  let unboundedHits = 0;
  let hits = 0;
  let l1Hits = 0;
  let upstreamCalls = 0;
  const prefix = `bench:zipf:${seed}:`;

  try {
    for (let index = 0; index < requests; index += 1) {
      const rank = nextRank();
      unboundedHits += seen.has(rank) ? 1 : 0;
      seen.add(rank);

      const found = await cache.get(`${prefix}${rank}`);
      if (found !== undefined) {
        hits += 1;
        l1Hits += found.tier === 'l1' ? 1 : 0;
        continue;
      }
      upstreamCalls += 1;
      await cache.set(`${prefix}${rank}`, { content: [{ type: 'text', text: `value ${rank}` }] }, writeOptions);
    }
  } finally {
    await cache.close();
  }
  return { ours: (hits / requests) * 100, unbounded: (unboundedHits / requests) * 100, l1Only: (l1Hits / requests) * 100, upstreamCalls };
}

/** Upstream calls made by a stampede of `perProcess` concurrent misses in each of `processes` processes on one Redis. */
export async function measureStampede(redisPort: number, processes: number, perProcess: number, key: string): Promise<{ upstreamCalls: number; callers: number }> {
  const upstream = await TestMcpServer.start();
  const worker = join(__dirname, '..', 'test', 'support', 'processes', 'stampede-worker.ts');
  const tsx = join(__dirname, '..', 'node_modules', '.bin', 'tsx');
  const children = Array.from({ length: processes }, () =>
    spawn(tsx, [worker, String(redisPort), upstream.url, key, String(perProcess)], {
      stdio: ['pipe', 'pipe', 'inherit'],
      env: { ...process.env, POWERTOOLS_LOG_LEVEL: 'SILENT' },
    }),
  );
  const lines = children.map((child) => createInterface({ input: child.stdout! })[Symbol.asyncIterator]());

  try {
    for (const line of lines) {
      await line.next();
    }
    for (const child of children) {
      child.stdin!.write('go\n');
    }
    await Promise.all(lines.map((line) => line.next()));
    return { upstreamCalls: upstream.callsOf('lookup'), callers: processes * perProcess };
  } finally {
    for (const child of children) {
      child.kill();
    }
    await upstream.stop();
  }
}
