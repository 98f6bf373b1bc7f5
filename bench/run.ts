// `npm run bench`: measures the cache figures in one run and writes docs/benchmarks.md.
// Every figure is the median of several runs with its spread; compare only figures of one run.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';

import { TestRedisServer } from '../test/support/redis-server';
import { measureL1, measureL2, measureStampede, measureZipf } from './cache-workloads';
import { measureQueryWorkloads } from './query-workloads';
import { measureComparison, COMPARISON_NOTES } from './comparison-rows';
import { packageVersion, type ReportRow } from './report-row';
import { summarize, type RunSummary } from './stats';

process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';

// Thousands of back-to-back calls on one MCP connection each add an abort listener to the
// transport's signal, and fetch (undici) removes it only when the request is garbage collected.
// Node then warns of a listener leak that does not exist, so that one warning is dropped.
// Every other warning still prints.
process.removeAllListeners('warning');
process.on('warning', (warning) => {
  if (warning.name === 'MaxListenersExceededWarning' && warning.message.includes('AbortSignal')) {
    return;
  }
  console.warn(`${warning.name}: ${warning.message}`);
});

const RUNS = 5;
const L1_ITERATIONS = 200_000;
const L2_ITERATIONS = 4_000;
const ZIPF_REQUESTS = 40_000;
const ZIPF_KEYS = 10_000;
const ZIPF_L1_ENTRIES = 1_000;
const STAMPEDE_PROCESSES = 2;
const STAMPEDE_PER_PROCESS = 100;


function format(summary: RunSummary, digits: number): string {
  return `${summary.median.toFixed(digits)} (${summary.min.toFixed(digits)} to ${summary.max.toFixed(digits)})`;
}

/** Pins this process to one core (Redis runs on the other), as the report states; skipped where taskset is missing. */
function pinToCore(core: number): boolean {
  if (!existsSync('/usr/bin/taskset') || cpus().length < 2) {
    return false;
  }
  execFileSync('/usr/bin/taskset', ['-a', '-p', '-c', String(core), String(process.pid)], { stdio: 'ignore' });
  return true;
}


async function main(): Promise<void> {
  const pinned = pinToCore(0);
  const redis = await TestRedisServer.start({ cpu: pinned ? 1 : undefined });
  const rows: ReportRow[] = [];
  const comparisonRows: ReportRow[] = [];
  console.log(`Running ${RUNS} runs of each workload${pinned ? ', this process on core 0 and Redis on core 1' : ''}...`);

  try {
    const l1Runs = [];
    const l2Runs = [];
    const zipfRuns = [];
    for (let run = 0; run < RUNS; run += 1) {
      l1Runs.push(await measureL1(L1_ITERATIONS));
      l2Runs.push(await measureL2(redis.port, L2_ITERATIONS));
      zipfRuns.push(await measureZipf(redis.port, ZIPF_REQUESTS, ZIPF_KEYS, ZIPF_L1_ENTRIES, run + 1));
      console.log(`  run ${run + 1} of ${RUNS} done`);
    }
    const stampedeRuns = [];
    for (let run = 0; run < 3; run += 1) {
      stampedeRuns.push(await measureStampede(redis.port, STAMPEDE_PROCESSES, STAMPEDE_PER_PROCESS, `bench:stampede:${Date.now()}:${run}`));
    }

    const bare = summarize(l1Runs.map((run) => run.bareLruMicros));
    const l1 = summarize(l1Runs.map((run) => run.l1HitMicros));
    rows.push({ figure: 'bare lru-cache get, in process (mean)', summary: bare, unit: 'µs', target: 'reference' });
    rows.push({ figure: 'L1 hit through HybridCache.get, in process (mean)', summary: l1, unit: 'µs', target: 'at most 1 µs', pass: l1.median <= 1 });

    const rawP50 = summarize(l2Runs.map((run) => run.rawP50));
    const l2P50 = summarize(l2Runs.map((run) => run.l2P50));
    const ratio = summarize(l2Runs.map((run) => run.l2P50 / run.rawP50));
    rows.push({ figure: 'raw ioredis GET of 2 KB, p50', summary: rawP50, unit: 'µs', target: 'reference' });
    rows.push({ figure: 'raw ioredis GET of 2 KB, p99', summary: summarize(l2Runs.map((run) => run.rawP99)), unit: 'µs', target: 'reference' });
    rows.push({ figure: 'L2 hit through HybridCache.get, p50', summary: l2P50, unit: 'µs', target: '' });
    rows.push({ figure: 'L2 hit through HybridCache.get, p99', summary: summarize(l2Runs.map((run) => run.l2P99)), unit: 'µs', target: '' });
    rows.push({ figure: 'L2 hit p50 / raw GET p50, same run', summary: ratio, unit: 'x', target: 'within 1.15x', pass: ratio.median <= 1.15 });

    const gap = summarize(zipfRuns.map((run) => run.unbounded - run.ours));
    rows.push({ figure: `Zipf(1.0) hit rate, ${ZIPF_KEYS} keys, L1 capped at ${ZIPF_L1_ENTRIES} entries, with L2`, summary: summarize(zipfRuns.map((run) => run.ours)), unit: '%', target: '' });
    rows.push({ figure: 'same, an unbounded cache', summary: summarize(zipfRuns.map((run) => run.unbounded)), unit: '%', target: 'reference' });
    rows.push({ figure: 'same, from L1 alone', summary: summarize(zipfRuns.map((run) => run.l1Only)), unit: '%', target: 'for information' });
    rows.push({ figure: 'hit rate gap to the unbounded cache', summary: gap, unit: 'points', target: 'within 0.5 points', pass: gap.median <= 0.5 });

    const stampede = summarize(stampedeRuns.map((run) => run.upstreamCalls));
    rows.push({
      figure: `stampede: ${STAMPEDE_PROCESSES} processes x ${STAMPEDE_PER_PROCESS} concurrent misses, upstream calls`,
      summary: stampede,
      unit: 'calls',
      target: '1 across processes',
      pass: stampede.max === 1,
    });

    rows.push(...(await measureQueryWorkloads(RUNS)));

    comparisonRows.push(...(await measureComparison(redis)));
  } finally {
    await redis.stop();
  }

  const report = renderReport(rows, comparisonRows, pinned);
  const output = join(__dirname, '..', 'docs', 'benchmarks.md');
  mkdirSync(join(__dirname, '..', 'docs'), { recursive: true });
  writeFileSync(output, report);
  console.log(`\n${report}\nWritten to ${output}`);
}

/** Decimal places for a figure: sub-10 µs figures need three, counts none. */
function digitsFor(row: ReportRow): number {
  if (row.unit === 'calls' || row.unit === 'req/s' || row.unit === 'KiB' || row.unit === 'bytes') {
    return 0;
  }
  // Ratios get three places, so a value shown next to its target never rounds onto it.
  if ((row.unit === 'µs' && row.summary.median < 10) || row.unit === 'x') {
    return 3;
  }
  return 2;
}

/** Returns the result cell of a row: a missed target in bold, never hidden. */
function resultOf(row: ReportRow): string {
  if (row.pass === undefined) {
    return '';
  }
  return row.pass ? 'pass' : '**miss**';
}

function renderRows(rows: readonly ReportRow[]): string[] {
  return [
    '| figure | median (spread) | unit | target | result |',
    '| --- | --- | --- | --- | --- |',
    ...rows.map((row) => `| ${row.figure} | ${format(row.summary, digitsFor(row))} | ${row.unit} | ${row.target} | ${resultOf(row)} |`),
  ];
}

function renderReport(rows: readonly ReportRow[], comparisonRows: readonly ReportRow[], pinned: boolean): string {
  const cpu = cpus()[0];
  const redisVersion = execFileSync('redis-server', ['--version'], { encoding: 'utf8' }).trim().split(' ')[2] ?? 'unknown';
  const lines = [
    '# Benchmarks',
    '',
    'Written by `npm run bench`. Each figure is the median of the runs, with the spread (minimum to',
    'maximum) in brackets. Machines differ and are noisy: compare figures of one run with each other,',
    'as ratios, and not with figures of another machine.',
    '',
    `- Machine: ${cpus().length} × ${cpu?.model ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, ${process.platform} ${process.arch}`,
    `- Node.js ${process.version}, ioredis ${packageVersion('ioredis')}, lru-cache ${packageVersion('lru-cache')}, redis-server ${redisVersion.replace('v=', '')} on loopback`,
    `- ${pinned ? 'The benchmark process was pinned to core 0 and redis-server to core 1 with taskset, because a loopback round trip varies several-fold with the placement of the two processes.' : 'Processes were not pinned to cores (taskset is missing or there is one core), so L2 figures vary more.'}`,
    `- Runs: ${RUNS} of each cache workload (3 of the stampede); a 2 KB MCP result as the value.`,
    '',
    '## Cache',
    '',
    ...renderRows(rows),
    '',
    '## Baseline, peer cache, end to end and cold start',
    '',
    ...COMPARISON_NOTES,
    '',
    ...renderRows(comparisonRows),
    '',
  ];
  return lines.join('\n');
}

main().catch((error: unknown) => {
  console.error(`npm run bench failed: ${error instanceof Error ? error.stack : String(error)}`);
  process.exit(1);
});
