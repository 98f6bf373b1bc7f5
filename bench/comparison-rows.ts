// Set before the runtime modules load: the local host must not print EMF into the benchmark's output.
import '../test/support/quiet-powertools';

import type { TestRedisServer } from '../test/support/redis-server';
import { TestMcpServer } from '../test/support/test-mcp-server';
import { measureColdStart } from './cold-start';
import { measureEndToEnd } from './e2e-workloads';
import { measureBaseline, measureBentoCache, measureRuntimeInProcess } from './peer-workloads';
import { packageVersion, type ReportRow } from './report-row';
import { summarize } from './stats';

/** One row of the comparison table, in the shape of the report's other rows. */
export type ComparisonRow = ReportRow;

/** Runs of each comparison workload; fewer than the cache workloads because each takes seconds. */
const COMPARISON_RUNS = 3;

/** Latency of the test MCP server's `work` tool, in ms: a fast upstream, so layer costs show. */
const UPSTREAM_DELAY_MS = 20;

/** Sequential calls per latency workload that goes upstream on every call. */
const BASELINE_ITERATIONS = 40;

/** Sequential calls per cache-hit latency workload. */
const HIT_ITERATIONS = 2_000;

/** Concurrent identical misses of the BentoCache stampede. */
const STAMPEDE_CALLERS = 100;

/** Fresh node processes that time the import of the handler bundle. */
const COLD_START_RUNS = 5;

/** p99 target of a cached response end to end on an L1 hit, in ms. */
const E2E_L1_P99_TARGET_MS = 3;

/** p99 target of a cached response end to end on an L2 hit, in ms. */
const E2E_L2_P99_TARGET_MS = 5;

/** Target time to import the handler bundle, in ms. */
const COLD_START_TARGET_MS = 150;


/** Lines printed above the comparison table. */
export const COMPARISON_NOTES = [
  `- Upstream: the test MCP server on loopback, \`work\` answering after ${UPSTREAM_DELAY_MS} ms; ${COMPARISON_RUNS} runs of each workload below.`,
  `- Baseline: @modelcontextprotocol/sdk ${packageVersion('@modelcontextprotocol/sdk')} client, sequential calls, no cache. Peer: BentoCache ${packageVersion('bentocache')} (memory L1 and Redis L2) around the same SDK call.`,
  `- End to end: \`POST /query\` on the local REST host over loopback HTTP (the load generator runs in the same process, on the same core); load by autocannon ${packageVersion('autocannon')}, 10 connections, at most 5 s.`,
  '- Cold start: the API handler bundled with esbuild as the stack bundles it (runtime included), timed `require` in a fresh node process.',
];

/** Measures the baseline, the runtime in process and over HTTP, BentoCache and cold start. */
export async function measureComparison(redis: TestRedisServer): Promise<ComparisonRow[]> {
  const upstream = await TestMcpServer.start();
  const runs = { baseline: [] as number[][], inProcess: [] as number[][], http: [] as number[][], bento: [] as number[][], load: [] as number[][] };

  try {
    for (let run = 0; run < COMPARISON_RUNS; run += 1) {
      const baseline = await measureBaseline(upstream, UPSTREAM_DELAY_MS, BASELINE_ITERATIONS);
      const inProcess = await measureRuntimeInProcess(upstream, redis.port, UPSTREAM_DELAY_MS, HIT_ITERATIONS);
      const http = await measureEndToEnd(upstream, redis.url, UPSTREAM_DELAY_MS, HIT_ITERATIONS);
      const bento = await measureBentoCache(upstream, redis.port, UPSTREAM_DELAY_MS, HIT_ITERATIONS, STAMPEDE_CALLERS);
      runs.baseline.push([baseline.p50, baseline.p99]);
      runs.inProcess.push([inProcess.l1.p50, inProcess.l1.p99, inProcess.l2.p50, inProcess.l2.p99]);
      runs.http.push([http.l1.p50, http.l1.p99, http.l2.p50, http.l2.p99, baseline.p50 / http.l1.p50]);
      runs.bento.push([bento.l1.p50, bento.l1.p99, bento.l2.p50, bento.l2.p99, bento.stampedeCalls]);
      runs.load.push([http.requestsPerSecond, http.loadErrors]);
      console.log(`  comparison run ${run + 1} of ${COMPARISON_RUNS} done`);
    }
  } finally {
    await upstream.stop();
  }
  const coldStart = measureColdStart(COLD_START_RUNS);

  const column = (table: number[][], index: number) => summarize(table.map((values) => values[index]));
  const httpL1P99 = column(runs.http, 1);
  const httpL2P99 = column(runs.http, 3);
  const importMs = summarize(coldStart.importMs);
  return [
    { figure: 'baseline: MCP SDK call, no cache, p50', summary: column(runs.baseline, 0), unit: 'ms', target: 'reference' },
    { figure: 'baseline: MCP SDK call, no cache, p99', summary: column(runs.baseline, 1), unit: 'ms', target: 'reference' },
    { figure: 'runtime in process (QueryRunner.run), L1 hit, p50', summary: column(runs.inProcess, 0), unit: 'ms', target: '' },
    { figure: 'runtime in process (QueryRunner.run), L1 hit, p99', summary: column(runs.inProcess, 1), unit: 'ms', target: '' },
    { figure: 'runtime in process (QueryRunner.run), L2 hit, p50', summary: column(runs.inProcess, 2), unit: 'ms', target: '' },
    { figure: 'runtime in process (QueryRunner.run), L2 hit, p99', summary: column(runs.inProcess, 3), unit: 'ms', target: '' },
    { figure: 'end to end over HTTP, L1 hit, p50', summary: column(runs.http, 0), unit: 'ms', target: '' },
    { figure: 'end to end over HTTP, L1 hit, p99', summary: httpL1P99, unit: 'ms', target: `p99 < ${E2E_L1_P99_TARGET_MS} ms`, pass: httpL1P99.median < E2E_L1_P99_TARGET_MS },
    { figure: 'end to end over HTTP, L2 hit, p50', summary: column(runs.http, 2), unit: 'ms', target: '' },
    { figure: 'end to end over HTTP, L2 hit, p99', summary: httpL2P99, unit: 'ms', target: `p99 < ${E2E_L2_P99_TARGET_MS} ms`, pass: httpL2P99.median < E2E_L2_P99_TARGET_MS },
    { figure: 'baseline p50 / end-to-end L1 hit p50, same run', summary: column(runs.http, 4), unit: 'x', target: 'for information' },
    { figure: 'BentoCache getOrSet, L1 (memory) hit, p50', summary: column(runs.bento, 0), unit: 'ms', target: 'peer' },
    { figure: 'BentoCache getOrSet, L1 (memory) hit, p99', summary: column(runs.bento, 1), unit: 'ms', target: 'peer' },
    { figure: 'BentoCache getOrSet, L2 (Redis) hit, p50', summary: column(runs.bento, 2), unit: 'ms', target: 'peer' },
    { figure: 'BentoCache getOrSet, L2 (Redis) hit, p99', summary: column(runs.bento, 3), unit: 'ms', target: 'peer' },
    { figure: `BentoCache stampede: ${STAMPEDE_CALLERS} concurrent misses in one process, upstream calls`, summary: column(runs.bento, 4), unit: 'calls', target: 'peer' },
    { figure: 'throughput, POST /query L1 hits over HTTP (autocannon)', summary: column(runs.load, 0), unit: 'req/s', target: 'for information' },
    { figure: 'failed requests under load', summary: column(runs.load, 1), unit: 'calls', target: '0', pass: column(runs.load, 1).max === 0 },
    { figure: 'cold start: require() of the API handler bundle', summary: importMs, unit: 'ms', target: `< ${COLD_START_TARGET_MS} ms`, pass: importMs.median < COLD_START_TARGET_MS },
    { figure: 'layer bundle (runtime), minified', summary: summarize([coldStart.layerBytes / 1024]), unit: 'KiB', target: 'for information' },
    { figure: 'API handler bundle without the layer, minified', summary: summarize([coldStart.handlerBytes]), unit: 'bytes', target: 'for information' },
  ];
}
