import * as path from 'node:path';

import { Architecture, LayerVersion, Runtime } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';

import { esbuildCode } from './esbuild-code';

/** Package name under which handlers import the runtime, left external in every handler bundle. */
export const RUNTIME_PACKAGE_NAME = '@mcp-accelerator/runtime';

/** Default entry of the runtime layer, in this repository. */
export const DEFAULT_RUNTIME_ENTRY = path.resolve(__dirname, '..', 'lambdas', 'runtime', 'index.ts');

/** Properties of {@link RuntimeLayer}. */
export interface RuntimeLayerProps {
  /**
   * Absolute path of the TypeScript entry that exports the runtime.
   * @default - lambdas/runtime/index.ts in this repository
   */
  readonly entry?: string;
}

/**
 * The shared runtime as a Lambda layer: one esbuild bundle of the runtime and all its npm
 * dependencies at `nodejs/node_modules/@mcp-accelerator/runtime/index.js`, where Node.js
 * functions `require` it by package name.
 */
export class RuntimeLayer extends Construct {
  /** Runtimes that the layer declares. The bundle targets the oldest of them. */
  static readonly COMPATIBLE_RUNTIMES: readonly Runtime[] = [Runtime.NODEJS_22_X, Runtime.NODEJS_24_X];

  /** The layer version. */
  readonly layerVersion: LayerVersion;

  constructor(scope: Construct, id: string, props: RuntimeLayerProps = {}) {
    super(scope, id);

    const code = esbuildCode({
      entry: props.entry ?? DEFAULT_RUNTIME_ENTRY,
      outputFile: `nodejs/node_modules/${RUNTIME_PACKAGE_NAME}/index.js`,
      target: 'node22',
    });

    this.layerVersion = new LayerVersion(this, 'LayerVersion', {
      code,
      compatibleRuntimes: [...RuntimeLayer.COMPATIBLE_RUNTIMES],
      compatibleArchitectures: [Architecture.ARM_64],
      description: 'mcp-accelerator runtime: cache tiers, MCP clients, parallel executor, streaming, metrics',
    });
  }
}
