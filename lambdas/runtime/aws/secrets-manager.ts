import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

type SecretsManagerModule = typeof import('@aws-sdk/client-secrets-manager');

/**
 * Loads the Secrets Manager SDK on first use. A `require` here, not an import at the top,
 * keeps the SDK out of cold starts that read no secret (local mode, servers without auth):
 * the bundle evaluates a required module only when this line runs.
 */
function loadSdk(): SecretsManagerModule {
  return require('@aws-sdk/client-secrets-manager') as SecretsManagerModule;
}

/** Creates a Secrets Manager client in the function's region. */
export function createSecretsManagerClient(): SecretsManagerClient {
  return new (loadSdk().SecretsManagerClient)({});
}

/** Reads the string value of a secret, or undefined when it has none. */
export async function readSecretString(client: SecretsManagerClient, secretId: string): Promise<string | undefined> {
  const response = await client.send(new (loadSdk().GetSecretValueCommand)({ SecretId: secretId }));
  return response.SecretString;
}
