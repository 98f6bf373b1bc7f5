import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

import { HybridCache } from '../../../lambdas/runtime/cache/hybrid-cache';
import { L2Cache } from '../../../lambdas/runtime/cache/l2/l2-cache';
import { L2Guard } from '../../../lambdas/runtime/cache/l2/l2-guard';
import { createRedisClient } from '../../../lambdas/runtime/cache/l2/redis-client';
import { TestRedisServer } from '../../support/redis-server';
import { TestMcpServer } from '../../support/test-mcp-server';

const WORKER = join(__dirname, '..', '..', 'support', 'processes', 'stampede-worker.ts');
const TSX = join(__dirname, '..', '..', '..', 'node_modules', '.bin', 'tsx');

const writeOptions = { ttlMs: 60_000, graceMs: 0 };

interface Worker {
  readonly child: ChildProcess;
  readonly lines: AsyncIterator<string>;
}

function startWorker(args: string[]): Worker {
  const child = spawn(TSX, [WORKER, ...args], { stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, POWERTOOLS_LOG_LEVEL: 'SILENT' } });
  return { child, lines: createInterface({ input: child.stdout! })[Symbol.asyncIterator]() };
}

async function nextLine(worker: Worker): Promise<string> {
  const { value, done } = await worker.lines.next();
  if (done) {
    throw new Error('the stampede worker exited without a result');
  }
  return value;
}

describe('stampede protection', () => {
  let redis: TestRedisServer;
  let upstream: TestMcpServer;

  beforeAll(async () => {
    redis = await TestRedisServer.start();
    upstream = await TestMcpServer.start();
  });

  afterAll(async () => {
    await upstream?.stop();
    await redis?.stop();
  });

  it('makes one call for 100 concurrent misses in one process', async () => {
    const l2 = new L2Cache(createRedisClient({ mode: 'standalone', host: '127.0.0.1', port: redis.port, tls: false }), new L2Guard({ budgetMs: 500 }));
    const cache = new HybridCache({ l2 });
    let calls = 0;
    const loader = async (): Promise<string> => {
      calls += 1;
      await new Promise((resolve) => setTimeout(resolve, 50));
      return 'loaded';
    };

    try {
      const results = await Promise.all(
        Array.from({ length: 100 }, () => cache.load('one-process', loader, () => ({ key: 'one-process', options: writeOptions }), { maxWaitMs: 5000 })),
      );

      expect(calls).toBe(1);
      expect(results.every((result) => result.value === 'loaded')).toBe(true);
      expect(results.filter((result) => !result.shared)).toHaveLength(1);
    } finally {
      await cache.close();
    }
  });

  it('makes one call for four processes on one Redis', async () => {
    upstream.resetCounts();
    const workers = Array.from({ length: 4 }, () => startWorker([String(redis.port), upstream.url, 'four-processes']));
    try {
      for (const worker of workers) {
        expect(await nextLine(worker)).toBe('ready');
      }
      for (const worker of workers) {
        worker.child.stdin!.write('go\n');
      }
      const results = await Promise.all(workers.map(async (worker) => JSON.parse(await nextLine(worker)) as { shared: boolean; text: string }));

      expect(upstream.callsOf('lookup')).toBe(1);
      expect(results.filter((result) => !result.shared)).toHaveLength(1);
      expect(new Set(results.map((result) => result.text)).size).toBe(1);
    } finally {
      for (const worker of workers) {
        worker.child.kill();
      }
    }
  }, 60_000);
});
