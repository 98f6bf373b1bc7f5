import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import type { Context, LambdaFunctionURLEvent } from 'aws-lambda';

import { installLambdaStreamingGlobal } from '../local/lambda-streaming';
import { createFunctionUrlServer } from '../local/local-hosts';
import { resolveServer } from '../lambdas/runtime/config/server-config';
import { parseQueryRequest } from '../lambdas/runtime/request/query-request';
import type { RuntimeContext } from '../lambdas/runtime/runtime-context';
import { DEFAULT_PER_SERVER_CONCURRENCY } from '../lambdas/runtime/executor/upstream-limits';
import { TestMcpServer } from '../test/support/test-mcp-server';
import type { ReportRow } from './report-row';
import { quantile, summarize } from './stats';

type StreamHandler = typeof import('../lambdas/runtime/handlers/stream-queries').streamQueries;

/** Name and version that the bare client reports; the same as the runtime's, so both handshakes match. */
const BARE_CLIENT_INFO = { name: 'mcp-accelerator', version: '0.1.0' };

/** One figure of the query workloads, in the shape of the report's rows. */
export type QueryFigure = ReportRow;

/** Latency of each query of the parallel workload, in ms, as the target is stated: 5 queries, 300 ms each. */
const PARALLEL_QUERY_MS = 300;
/** Sizes of the parallel workload: 5 as the target is stated, and 20, the default concurrency limit's reach and beyond. */
const PARALLEL_SIZES = [5, 20] as const;

/** Upstream latency of the query behind the streamed request, in ms, so the first byte clearly precedes the result. */
const STREAMED_QUERY_MS = 20;
const STREAM_REQUESTS_PER_RUN = 100;

/** Sequential misses per run of the overhead workload, for each of the two paths. */
const OVERHEAD_CALLS_PER_RUN = 400;

/**
 * Measures the parallel-query, streaming and overhead figures against the test MCP server
 * on loopback, `runs` times each, and returns them with their targets.
 */
export async function measureQueryWorkloads(runs: number): Promise<QueryFigure[]> {
  // Loaded here, not imported above, because the logger and metrics read POWERTOOLS_* when
  // they load, and bench/run.ts sets those in its body, after its imports.
  const { createRuntimeContext } = require('../lambdas/runtime/runtime-context') as typeof import('../lambdas/runtime/runtime-context');
  const { streamQueries } = require('../lambdas/runtime/handlers/stream-queries') as typeof import('../lambdas/runtime/handlers/stream-queries');
  const upstream = await TestMcpServer.start();
  const runtime = createRuntimeContext([resolveServer('bench', { url: upstream.url, cache: { cacheableTools: ['work'], jitterRatio: 0 } })]);
  try {
    // Pays the initialize handshake first: every figure below is of a warm connection.
    await runQueries(runtime, [{ server: 'bench', method: 'tools/list' }]);

    const parallel: ParallelRun[][] = PARALLEL_SIZES.map(() => []);
    const firstBytes = [];
    const overheads = [];
    for (let run = 0; run < runs; run += 1) {
      for (const [position, size] of PARALLEL_SIZES.entries()) {
        parallel[position].push(await measureParallel(runtime, run, size));
      }
      firstBytes.push(await measureFirstByte(runtime, streamQueries, run));
      overheads.push(await measureMissOverhead(runtime, upstream.url, run));
    }
    return toFigures(parallel, firstBytes, overheads);
  } finally {
    await runtime.cache.settle();
    await runtime.clients.close();
    await upstream.stop();
  }
}

async function runQueries(runtime: RuntimeContext, queries: Record<string, unknown>[], concurrency?: number) {
  const request = parseQueryRequest(JSON.stringify({ queries, concurrency }), runtime.serverNames);
  return runtime.runner.run(request, { onOutcome: () => undefined });
}

/** Figures of one run of the parallel workload, in ms. */
interface ParallelRun {
  readonly wallMs: number;
  readonly slowestMs: number;
  readonly sumMs: number;
}

/** Runs `size` parallel misses of 300 ms once, and returns the wall time, the slowest query's own upstream time and the sum of all. */
async function measureParallel(runtime: RuntimeContext, run: number, size: number): Promise<ParallelRun> {
  const queries = Array.from({ length: size }, (_, index) => ({
    server: 'bench',
    tool: 'work',
    arguments: { key: `parallel-${size}-${run}-${index}`, delayMs: PARALLEL_QUERY_MS },
  }));

  const startedAt = performance.now();
  // A request-level concurrency of `size` lets every query run at once, within the runtime's per-server limit.
  const outcomes = await runQueries(runtime, queries, size);
  const wallMs = performance.now() - startedAt;

  const upstreamMs = outcomes.map((outcome) => outcome.upstream?.durationMs ?? Number.NaN);
  return { wallMs, slowestMs: Math.max(...upstreamMs), sumMs: upstreamMs.reduce((sum, ms) => sum + ms, 0) };
}

/** Sends streamed requests through the local function URL host, and returns the p50 and p99 time to the first body byte, in ms. */
async function measureFirstByte(runtime: RuntimeContext, streamQueries: StreamHandler, run: number): Promise<{ p50: number; p99: number; handlerP50: number; handlerP99: number }> {
  installLambdaStreamingGlobal();
  const handlerLatencies: number[] = [];
  const handler = awslambda.streamifyResponse(async (event, responseStream, context) => {
    // Times the handler alone, from its start to its first write, apart from HTTP on loopback.
    const startedAt = performance.now();
    const write = responseStream.write.bind(responseStream);
    let written = false;
    responseStream.write = ((...args: Parameters<typeof write>) => {
      if (!written) {
        written = true;
        handlerLatencies.push(performance.now() - startedAt);
      }
      return write(...args);
    }) as typeof responseStream.write;
    await streamQueries(event as LambdaFunctionURLEvent, responseStream, context as Context, runtime);
  });
  const host: Server = createFunctionUrlServer(handler, 'bench-stream');
  await new Promise<void>((resolve) => host.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(host.address() as AddressInfo).port}/`;

  const latencies: number[] = [];
  try {
    for (let index = 0; index < STREAM_REQUESTS_PER_RUN; index += 1) {
      const body = JSON.stringify({ queries: [{ server: 'bench', tool: 'work', arguments: { key: `stream-${run}-${index}`, delayMs: STREAMED_QUERY_MS } }] });
      const sentAt = performance.now();
      const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      const reader = response.body!.getReader();
      await reader.read();
      latencies.push(performance.now() - sentAt);
      // Drains the rest, so the next request starts on an idle connection.
      while (!(await reader.read()).done) {
        // Nothing to do with the remaining events.
      }
    }
  } finally {
    host.closeAllConnections();
    await new Promise((resolve) => host.close(resolve));
  }
  // The first requests warm the JIT and the connection, so they are left out.
  const measured = latencies.slice(10);
  const measuredInHandler = handlerLatencies.slice(10);
  return {
    p50: quantile(measured, 0.5),
    p99: quantile(measured, 0.99),
    handlerP50: quantile(measuredInHandler, 0.5),
    handlerP99: quantile(measuredInHandler, 0.99),
  };
}

/**
 * Times sequential misses: a bare SDK client request against the same call through the
 * query runner (plan, lookup, single-flight load, executor, store), in interleaved halves so
 * both see the same machine noise. Returns the p50 of each, in ms.
 */
async function measureMissOverhead(runtime: RuntimeContext, upstreamUrl: string, run: number): Promise<{ rawP50: number; layerP50: number }> {
  const client = new Client(BARE_CLIENT_INFO, { capabilities: {}, versionNegotiation: { mode: 'auto' } });
  await client.connect(new StreamableHTTPClientTransport(new URL(upstreamUrl)));
  const raw: number[] = [];
  const layer: number[] = [];
  try {
    for (let half = 0; half < 2; half += 1) {
      for (let index = 0; index < OVERHEAD_CALLS_PER_RUN / 2; index += 1) {
        const params = { name: 'work', arguments: { key: `raw-${run}-${half}-${index}` } };
        const startedAt = performance.now();
        await client.request({ method: 'tools/call', params });
        raw.push(performance.now() - startedAt);
      }
      for (let index = 0; index < OVERHEAD_CALLS_PER_RUN / 2; index += 1) {
        const query = { server: 'bench', tool: 'work', arguments: { key: `layer-${run}-${half}-${index}` } };
        const startedAt = performance.now();
        await runQueries(runtime, [query]);
        layer.push(performance.now() - startedAt);
      }
    }
  } finally {
    await client.close();
  }
  return { rawP50: quantile(raw, 0.5), layerP50: quantile(layer, 0.5) };
}

function toFigures(
  parallel: readonly (readonly ParallelRun[])[],
  firstBytes: readonly { p50: number; p99: number; handlerP50: number; handlerP99: number }[],
  overheads: readonly { rawP50: number; layerP50: number }[],
): QueryFigure[] {
  const firstByteP99 = summarize(firstBytes.map((run) => run.p99));
  const overhead = summarize(overheads.map((run) => run.layerP50 - run.rawP50));
  return [
    ...PARALLEL_SIZES.flatMap((size, position) => parallelFigures(size, parallel[position])),
    { figure: 'first byte of a stream, local function URL, p50', summary: summarize(firstBytes.map((run) => run.p50)), unit: 'ms', target: '' },
    { figure: 'first byte of a stream, local function URL, p99', summary: firstByteP99, unit: 'ms', target: 'under 10 ms', pass: firstByteP99.median < 10 },
    { figure: 'same, from the handler\'s start to its first write, p50', summary: summarize(firstBytes.map((run) => run.handlerP50)), unit: 'ms', target: 'for information' },
    { figure: 'same, from the handler\'s start to its first write, p99', summary: summarize(firstBytes.map((run) => run.handlerP99)), unit: 'ms', target: 'for information' },
    { figure: 'bare SDK client call of a 0 ms tool, p50', summary: summarize(overheads.map((run) => run.rawP50)), unit: 'ms', target: 'reference' },
    { figure: 'same call as a miss through the query runner, p50', summary: summarize(overheads.map((run) => run.layerP50)), unit: 'ms', target: '' },
    { figure: 'layer overhead on a miss (runner p50 - bare p50)', summary: overhead, unit: 'ms', target: 'under 2 ms', pass: overhead.median < 2 },
  ];
}

/** Figures of the parallel workload of one size. The 5-query one carries the stated target. */
function parallelFigures(size: number, runs: readonly ParallelRun[]): QueryFigure[] {
  const wallOverSlowest = summarize(runs.map((run) => run.wallMs / run.slowestMs));
  const target =
    size > DEFAULT_PER_SERVER_CONCURRENCY
      ? { target: `for information: the per-server limit of ${DEFAULT_PER_SERVER_CONCURRENCY} queues the rest` }
      : { target: 'within 1.05x', pass: wallOverSlowest.median <= 1.05 };
  return [
    { figure: `${size} parallel misses of ${PARALLEL_QUERY_MS} ms, wall time`, summary: summarize(runs.map((run) => run.wallMs)), unit: 'ms', target: '' },
    {
      figure: "same, the slowest query's own upstream time",
      summary: summarize(runs.map((run) => run.slowestMs)),
      unit: 'ms',
      target: 'reference',
    },
    { figure: 'same, wall time / slowest query', summary: wallOverSlowest, unit: 'x', ...target },
    { figure: 'same, speedup over sequential (sum of query times / wall time)', summary: summarize(runs.map((run) => run.sumMs / run.wallMs)), unit: 'x', target: 'for information' },
  ];
}
