import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import type { RunSummary } from './stats';

/** One row of the benchmark report: a figure over several runs, with its target. */
export interface ReportRow {
  readonly figure: string;
  readonly summary: RunSummary;
  readonly unit: string;
  readonly target: string;
  /** Whether the median meets the target; undefined for figures without one. */
  readonly pass?: boolean;
}

/** Returns the installed version of a package, for the report's list of versions. */
export function packageVersion(name: string): string {
  const manifest = JSON.parse(readFileSync(join(__dirname, '..', 'node_modules', name, 'package.json'), 'utf8')) as { version: string };
  return manifest.version;
}
