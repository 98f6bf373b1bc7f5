import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

import { createSecretsManagerClient, readSecretString } from '../../aws/secrets-manager';
import { RUNTIME_ENV } from '../../config/environment';
import { ConfigError } from '../../config/server-config';
import type { L2ConnectionOptions } from './redis-client';

/** Credentials of the cache user, as the stack stores them in Secrets Manager. */
interface CacheSecret {
  readonly username?: unknown;
  readonly password?: unknown;
}

/**
 * Reads how to reach L2 from the environment, or resolves undefined to run with L1 only:
 * - `MCP_ACCELERATOR_CACHE_URL` (`redis://` or `rediss://`, credentials in the URL): a
 *   standalone Redis, as in local mode and tests;
 * - `MCP_ACCELERATOR_CACHE_ENDPOINT` and `_PORT`, `_MODE` and `_SECRET_ARN`: the ElastiCache
 *   cluster of the stack, over TLS, with the user and password read from Secrets Manager once.
 * @throws ConfigError naming the variable that is invalid
 */
export async function resolveL2Connection(
  environment: NodeJS.ProcessEnv = process.env,
  secrets: () => SecretsManagerClient = createSecretsManagerClient,
): Promise<L2ConnectionOptions | undefined> {
  const url = environment[RUNTIME_ENV.cacheUrl];
  if (url !== undefined && url !== '') {
    return fromUrl(url);
  }

  const host = environment[RUNTIME_ENV.cacheEndpoint];
  if (host === undefined || host === '') {
    return undefined;
  }
  const port = Number(environment[RUNTIME_ENV.cachePort] ?? '6379');
  if (!Number.isInteger(port) || port <= 0 || port > 65_535) {
    throw new ConfigError(RUNTIME_ENV.cachePort, [`"${environment[RUNTIME_ENV.cachePort]}" is not a port number`]);
  }
  const mode = environment[RUNTIME_ENV.cacheMode] ?? 'provisioned';
  if (mode !== 'provisioned' && mode !== 'serverless') {
    throw new ConfigError(RUNTIME_ENV.cacheMode, [`"${mode}" is not a cache mode; use provisioned or serverless`]);
  }

  const credentials = await readCredentials(environment[RUNTIME_ENV.cacheSecretArn], secrets);
  return { mode: mode === 'serverless' ? 'cluster' : 'standalone', host, port, tls: true, ...credentials };
}

function fromUrl(text: string): L2ConnectionOptions {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigError(RUNTIME_ENV.cacheUrl, [`"${text}" is not a URL; use redis://host:port or rediss://host:port`]);
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new ConfigError(RUNTIME_ENV.cacheUrl, [`protocol "${url.protocol}" is not supported; use redis:// or rediss://`]);
  }
  return {
    mode: 'standalone',
    host: url.hostname,
    port: url.port === '' ? 6379 : Number(url.port),
    tls: url.protocol === 'rediss:',
    username: url.username === '' ? undefined : decodeURIComponent(url.username),
    password: url.password === '' ? undefined : decodeURIComponent(url.password),
  };
}

async function readCredentials(secretArn: string | undefined, secrets: () => SecretsManagerClient): Promise<{ username?: string; password?: string }> {
  if (secretArn === undefined || secretArn === '') {
    return {};
  }
  const text = await readSecretString(secrets(), secretArn);
  let secret: CacheSecret;
  try {
    secret = JSON.parse(text ?? '') as CacheSecret;
  } catch {
    throw new ConfigError(RUNTIME_ENV.cacheSecretArn, ['the secret is not JSON with "username" and "password"']);
  }
  if (typeof secret.username !== 'string' || typeof secret.password !== 'string') {
    throw new ConfigError(RUNTIME_ENV.cacheSecretArn, ['the secret has no string "username" and "password"']);
  }
  return { username: secret.username, password: secret.password };
}
