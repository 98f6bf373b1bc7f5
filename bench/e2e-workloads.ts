import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import autocannon from 'autocannon';

import { RUNTIME_ENV } from '../lambdas/runtime/config/environment';
import { closeRuntimeContext } from '../lambdas/runtime/runtime-context';
import { startLocalStack, type LocalStack } from '../local/local-stack';
import type { TestMcpServer } from '../test/support/test-mcp-server';
import type { LatencyFigures } from './peer-workloads';
import { quantile } from './stats';

/** Connections that autocannon keeps open on loopback. */
const LOAD_CONNECTIONS = 10;

/** Maximum length of one load run, in seconds, so that the load test stops by itself. */
const LOAD_DURATION_SECONDS = 5;

/** Maximum requests of one load run; the run ends at whichever limit comes first. */
const LOAD_MAX_REQUESTS = 50_000;

/** Starts the local host on loopback in front of the test server, with `work` cacheable. */
async function startStack(upstream: TestMcpServer, redisUrl: string, l1MaxSizeBytes?: number): Promise<{ stack: LocalStack; cleanUp: () => Promise<void> }> {
  const directory = mkdtempSync(join(tmpdir(), 'mcpa-bench-'));
  const configPath = join(directory, 'config.json');
  writeFileSync(configPath, JSON.stringify({ servers: { bench: { url: upstream.url, cache: { ttlSeconds: 3_600, cacheableTools: ['work'] } } } }));
  if (l1MaxSizeBytes === undefined) {
    delete process.env[RUNTIME_ENV.l1MaxSizeBytes];
  } else {
    process.env[RUNTIME_ENV.l1MaxSizeBytes] = String(l1MaxSizeBytes);
  }
  // The handlers keep one runtime context per process; a fresh one reads the new L1 size.
  await closeRuntimeContext();
  const stack = await startLocalStack({ configPath, redisUrl });
  return {
    stack,
    cleanUp: async () => {
      await stack.stop();
      delete process.env[RUNTIME_ENV.l1MaxSizeBytes];
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

function body(delayMs: number): string {
  return JSON.stringify({ queries: [{ id: 'q', server: 'bench', tool: 'work', arguments: { key: 'http', delayMs } }] });
}

async function post(url: string, payload: string): Promise<void> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: payload });
  await response.arrayBuffer();
  if (response.status !== 200) {
    throw new Error(`POST ${url} returned ${response.status}`);
  }
}

async function latencies(url: string, payload: string, iterations: number): Promise<LatencyFigures> {
  const measured: number[] = [];
  for (let index = 0; index < iterations; index += 1) {
    const startedAt = performance.now();
    await post(url, payload);
    measured.push(performance.now() - startedAt);
  }
  return { p50: quantile(measured, 0.5), p99: quantile(measured, 0.99) };
}

/**
 * End to end over HTTP on loopback: `POST /query` on the local REST host with an L1 hit, then
 * with L1 disabled so that every hit comes from Redis, and requests per second under autocannon.
 */
export async function measureEndToEnd(upstream: TestMcpServer, redisUrl: string, delayMs: number, iterations: number): Promise<{ l1: LatencyFigures; l2: LatencyFigures; requestsPerSecond: number; loadErrors: number }> {
  const payload = body(delayMs);

  const l1Host = await startStack(upstream, redisUrl);
  let l1: LatencyFigures;
  let load: autocannon.Result;
  try {
    await latencies(l1Host.stack.queryUrl, payload, 200);
    l1 = await latencies(l1Host.stack.queryUrl, payload, iterations);
    load = await autocannon({
      url: l1Host.stack.queryUrl,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: payload,
      connections: LOAD_CONNECTIONS,
      duration: LOAD_DURATION_SECONDS,
      amount: LOAD_MAX_REQUESTS,
    });
  } finally {
    await l1Host.cleanUp();
  }

  // One byte of L1 stores nothing, so every hit comes from L2.
  const l2Host = await startStack(upstream, redisUrl, 1);
  try {
    await latencies(l2Host.stack.queryUrl, payload, 200);
    const l2 = await latencies(l2Host.stack.queryUrl, payload, iterations);
    // Total over elapsed time: autocannon's per-second average is read from a coarse histogram.
    return { l1, l2, requestsPerSecond: load.requests.total / load.duration, loadErrors: load.errors + load.non2xx };
  } finally {
    await l2Host.cleanUp();
  }
}
