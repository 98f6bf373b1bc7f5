import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

import { createSecretsManagerClient, readSecretString } from '../aws/secrets-manager';
import type { ResolvedServer } from '../config/server-config';

/** Raised when a server's credential cannot be read; its message never contains the credential. */
export class UpstreamAuthError extends Error {
  readonly code = 'upstream_auth_unavailable';

  constructor(serverName: string, source: string, options?: { cause?: unknown }) {
    super(`The credential of server "${serverName}" could not be read from ${source}. Check that it exists and that the function may read it.`, options);
    this.name = 'UpstreamAuthError';
  }
}

/**
 * Reads each server's upstream credential once per execution environment: from Secrets
 * Manager (`authSecretArn`, set by the stack) or, locally, from an environment variable
 * (`authEnv`). The value is only ever put in the auth header, never logged.
 */
export class UpstreamCredentials {
  private readonly values = new Map<string, Promise<string | undefined>>();

  constructor(
    private readonly secrets: () => SecretsManagerClient = createSecretsManagerClient,
    private readonly environment: NodeJS.ProcessEnv = process.env,
  ) {}

  /** Resolves the headers that authenticate requests to a server; empty when it needs none. */
  async headersFor(server: ResolvedServer): Promise<Record<string, string>> {
    let value = this.values.get(server.name);
    if (value === undefined) {
      value = this.read(server);
      this.values.set(server.name, value);
      // A failed read is not remembered, so a fixed permission takes effect without a cold start.
      value.catch(() => this.values.delete(server.name));
    }
    const credential = await value;
    return credential === undefined ? {} : { [server.authHeader]: credential };
  }

  private async read(server: ResolvedServer): Promise<string | undefined> {
    if (server.authSecretArn !== undefined) {
      try {
        const value = await readSecretString(this.secrets(), server.authSecretArn);
        if (value === undefined || value === '') {
          throw new Error('the secret has no string value');
        }
        return value;
      } catch (error) {
        throw new UpstreamAuthError(server.name, `secret ${server.authSecretArn}`, { cause: error });
      }
    }
    if (server.authEnv !== undefined) {
      const credential = this.environment[server.authEnv];
      if (credential === undefined || credential === '') {
        throw new UpstreamAuthError(server.name, `environment variable ${server.authEnv}`);
      }
      return credential;
    }
    return undefined;
  }
}
