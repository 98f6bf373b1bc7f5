import { existsSync } from 'node:fs';
import * as path from 'node:path';

import { AssetHashType, DockerImage } from 'aws-cdk-lib';
import { Code, Runtime } from 'aws-cdk-lib/aws-lambda';
import { buildSync } from 'esbuild';

/**
 * Image that CDK requires in every bundling option. It is never pulled: `tryBundle` below
 * either bundles with esbuild in this process and returns true, or throws.
 */
const UNUSED_BUNDLING_IMAGE = DockerImage.fromRegistry('public.ecr.aws/docker/library/node:22-slim');

/** Options of one esbuild bundle that becomes Lambda code. */
export interface EsbuildCodeOptions {
  /** Absolute path of the TypeScript entry file. */
  readonly entry: string;
  /** Path of the bundle inside the asset, relative to its root and ending in `.js`. */
  readonly outputFile: string;
  /** esbuild target, such as `node22`. */
  readonly target: string;
  /**
   * Module specifiers left out of the bundle and resolved at run time, for example from a layer.
   * @default - none: every import is bundled
   */
  readonly external?: readonly string[];
}

/**
 * Bundles a TypeScript entry with esbuild in this process, with no Docker, into Lambda code.
 * The asset hash is taken from the output, so a change in a bundled npm package changes it too.
 * @throws Error naming the entry when it is missing or esbuild reports an error
 */
export function esbuildCode(options: EsbuildCodeOptions): Code {
  if (!path.isAbsolute(options.entry)) {
    throw new Error(`esbuild entry "${options.entry}" is relative; pass an absolute path, for example with path.resolve().`);
  }
  if (!existsSync(options.entry)) {
    throw new Error(
      `esbuild entry "${options.entry}" does not exist; create it or point the construct's entry prop at the file.`,
    );
  }
  if (!options.outputFile.endsWith('.js') || path.isAbsolute(options.outputFile)) {
    throw new Error(`esbuild outputFile "${options.outputFile}" must be a relative path ending in ".js".`);
  }

  const external = [...(options.external ?? [])];

  // NOTE: CDK deduplicates assets by a JSON key of the source path and the bundling options, and
  // that key leaves out the tryBundle function. Each entry therefore gets its own folder as the
  // source path, and `command` spells out the build so that two different bundles never share a key.
  const command = ['esbuild', options.entry, `--outfile=${options.outputFile}`, `--target=${options.target}`];
  command.push(...external.map((specifier) => `--external:${specifier}`));

  return Code.fromAsset(path.dirname(options.entry), {
    assetHashType: AssetHashType.OUTPUT,
    bundling: {
      image: UNUSED_BUNDLING_IMAGE,
      command,
      local: {
        tryBundle(outputDir: string): boolean {
          bundleWithEsbuild(options, external, path.join(outputDir, options.outputFile));
          return true;
        },
      },
    },
  });
}

/** Returns the esbuild target, such as `node22`, for a Node.js Lambda runtime. */
export function esbuildTargetFor(runtime: Runtime): string {
  const match = /^nodejs(\d+)\.x$/.exec(runtime.name);
  if (match === null) {
    throw new Error(`Lambda runtime "${runtime.name}" is not a Node.js runtime; use Runtime.NODEJS_22_X or newer.`);
  }
  return `node${match[1]}`;
}

function bundleWithEsbuild(options: EsbuildCodeOptions, external: string[], outfile: string): void {
  try {
    buildSync({
      entryPoints: [options.entry],
      outfile,
      bundle: true,
      platform: 'node',
      target: options.target,
      // CommonJS, because Lambda resolves layer packages under /opt/nodejs/node_modules through
      // NODE_PATH, which only `require` honours.
      format: 'cjs',
      external,
      minify: true,
      // Minifying would rename classes, and error and logger output shows their names.
      keepNames: true,
      // External maps keep the bundle small. Node.js reads them when NODE_OPTIONS has --enable-source-maps.
      sourcemap: 'external',
      sourcesContent: false,
      logLevel: 'error',
    });
  } catch (error) {
    throw new Error(`esbuild failed to bundle "${options.entry}"; fix the errors printed above and synthesize again.`, {
      cause: error,
    });
  }
}
