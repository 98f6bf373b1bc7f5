import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { buildSync } from 'esbuild';


const ROOT = resolve(__dirname, '..');
const RUNTIME_ENTRY = join(ROOT, 'lambdas', 'runtime', 'index.ts');

/** Node.js target of the bundles, as the stack's Lambda runtime. */
const BUNDLE_TARGET = 'node22';

/** Bundles one entry with the options of lib/esbuild-code.ts, the runtime package bundled in. */
function bundle(entry: string, outfile: string, external: string[]): number {
  buildSync({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    target: BUNDLE_TARGET,
    format: 'cjs',
    minify: true,
    keepNames: true,
    external,
    // The full bundle resolves the runtime package to its source; the handler-only bundle leaves it to the layer.
    alias: external.length === 0 ? { '@mcp-accelerator/runtime': RUNTIME_ENTRY } : undefined,
    logLevel: 'error',
  });
  return statSync(outfile).size;
}

/**
 * Cold start: the sizes of the layer and handler bundles, and the time to `require` the
 * whole API handler bundle (runtime included) in a fresh node process, in ms.
 */
export function measureColdStart(runs: number): { layerBytes: number; handlerBytes: number; importMs: number[] } {
  const directory = mkdtempSync(join(tmpdir(), 'mcpa-bundle-'));
  try {
    const layerBytes = bundle(RUNTIME_ENTRY, join(directory, 'layer.js'), []);
    const handlerBytes = bundle(join(ROOT, 'lambdas', 'api-query', 'handler.ts'), join(directory, 'handler-only.js'), ['@mcp-accelerator/runtime']);
    const full = join(directory, 'handler.js');
    bundle(join(ROOT, 'lambdas', 'api-query', 'handler.ts'), full, []);

    const script = `const t = process.hrtime.bigint(); require(${JSON.stringify(full)}); process.stdout.write(String(Number(process.hrtime.bigint() - t) / 1e6));`;
    const importMs: number[] = [];
    for (let run = 0; run < runs; run += 1) {
      const output = execFileSync(process.execPath, ['-e', script], { encoding: 'utf8', env: { ...process.env, POWERTOOLS_LOG_LEVEL: 'SILENT' } });
      importMs.push(Number(output));
    }
    return { layerBytes, handlerBytes, importMs };
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

