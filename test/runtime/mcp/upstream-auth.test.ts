import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';

import { resolveServer } from '../../../lambdas/runtime/config/server-config';
import { McpClientPool } from '../../../lambdas/runtime/mcp/client-pool';
import { UpstreamAuthError, UpstreamCredentials } from '../../../lambdas/runtime/mcp/upstream-auth';
import { classifyUpstreamError } from '../../../lambdas/runtime/mcp/upstream-error';
import { TestMcpServer } from '../../support/test-mcp-server';

const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:docs-token-AbCdEf';

describe('upstream credentials', () => {
  let upstream: TestMcpServer;

  beforeAll(async () => {
    upstream = await TestMcpServer.start();
  });

  afterAll(async () => {
    await upstream?.stop();
  });

  it('sends the environment credential in the auth header', async () => {
    const server = resolveServer('docs', { url: upstream.url, authEnv: 'DOCS_TOKEN' });
    const pool = new McpClientPool([server], new UpstreamCredentials(undefined, { DOCS_TOKEN: 'Bearer local-token' }));
    upstream.authorizations.length = 0;

    try {
      await pool.call('docs', 'tools/list', {}, { timeoutMs: 5000 });
    } finally {
      await pool.close();
    }

    expect(upstream.authorizations.length).toBeGreaterThan(0);
    expect(upstream.authorizations.every((header) => header === 'Bearer local-token')).toBe(true);
  });

  it('reads a Secrets Manager credential once', async () => {
    // Secrets Manager cannot be reached offline, so its client is faked here.
    const secrets = mockClient(SecretsManagerClient);
    secrets.on(GetSecretValueCommand, { SecretId: SECRET_ARN }).resolves({ SecretString: 'Bearer from-secret' });
    const credentials = new UpstreamCredentials(() => new SecretsManagerClient({ region: 'us-east-1' }));
    const server = resolveServer('docs', { url: upstream.url, authSecretArn: SECRET_ARN, authHeader: 'X-Api-Key' });

    try {
      await expect(credentials.headersFor(server)).resolves.toEqual({ 'X-Api-Key': 'Bearer from-secret' });
      await credentials.headersFor(server);

      expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(1);
    } finally {
      secrets.restore();
    }
  });

  it('fails a query without leaking the credential source value', async () => {
    const server = resolveServer('docs', { url: upstream.url, authEnv: 'MISSING_TOKEN' });
    const credentials = new UpstreamCredentials(undefined, {});

    const error = await credentials.headersFor(server).catch((thrown: unknown) => thrown);

    expect(error).toBeInstanceOf(UpstreamAuthError);
    const classified = classifyUpstreamError(error, 'docs', 1000);
    expect(classified.code).toBe('upstream_auth_unavailable');
    expect(classified.message).toContain('MISSING_TOKEN');
  });

  it('sends no auth header for a server without credentials', async () => {
    const credentials = new UpstreamCredentials(undefined, { DOCS_TOKEN: 'unused' });

    await expect(credentials.headersFor(resolveServer('docs', { url: upstream.url }))).resolves.toEqual({});
  });
});
