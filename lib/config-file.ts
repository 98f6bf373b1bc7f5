import { readFileSync } from 'node:fs';
import * as path from 'node:path';

import { ConfigError, parseAcceleratorConfig, type AcceleratorConfig } from '../lambdas/runtime/config/server-config';
import type { CloudServerConfig } from './query-function';

/** Default configuration file, relative to the directory that `cdk` runs in. */
export const DEFAULT_CONFIG_FILE = 'mcp-accelerator.config.json';

/** The configured servers, split by where they can run. */
export interface ServersByTarget {
  /** Servers with a URL, which the cloud functions may call, by name. */
  readonly cloud: Readonly<Record<string, CloudServerConfig>>;
  /** Names of servers with only `launch`, which only `npm start` hosts. */
  readonly localOnly: readonly string[];
}

/**
 * Reads and validates a configuration file.
 * @throws ConfigError naming the file and every invalid field, or the read or JSON error
 */
export function readConfigFile(file: string): AcceleratorConfig {
  const absolutePath = path.resolve(file);

  let text: string;
  try {
    text = readFileSync(absolutePath, 'utf8');
  } catch (error) {
    throw new ConfigError(absolutePath, [
      `the file cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)}); ` +
        'create it or pass another path with -c configFile=PATH',
    ]);
  }

  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(absolutePath, [`not valid JSON: ${(error as Error).message}`]);
  }
  return parseAcceleratorConfig(document, absolutePath);
}

/** Splits the configured servers into those the cloud can call and those only local mode hosts. */
export function splitServersByTarget(config: AcceleratorConfig): ServersByTarget {
  const cloud: Record<string, CloudServerConfig> = {};
  const localOnly: string[] = [];

  for (const [name, server] of Object.entries(config.servers)) {
    if (server.url === undefined) {
      localOnly.push(name);
      continue;
    }
    // `launch` means nothing to Lambda, so it stays out of the function's environment.
    const { launch: _launch, ...cloudServer } = server;
    cloud[name] = { ...cloudServer, url: server.url };
  }
  return { cloud, localOnly };
}
