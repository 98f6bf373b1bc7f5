/**
 * Names of the environment variables through which the CDK stack (or the local host)
 * configures the runtime. The stack and the runtime both import these, so they cannot drift.
 */
export const RUNTIME_ENV = {
  /** JSON object of resolved servers by name: `{ "docs": { "url": "https://...", "cache": {...} } }`. */
  servers: 'MCP_ACCELERATOR_SERVERS',
  /** `redis://` or `rediss://` URL of the L2 cache; unset means L1 only. */
  cacheUrl: 'MCP_ACCELERATOR_CACHE_URL',
  /** Host name of the ElastiCache endpoint. */
  cacheEndpoint: 'MCP_ACCELERATOR_CACHE_ENDPOINT',
  /** Port of the ElastiCache endpoint. */
  cachePort: 'MCP_ACCELERATOR_CACHE_PORT',
  /** `provisioned` (replication group) or `serverless` (cluster protocol). */
  cacheMode: 'MCP_ACCELERATOR_CACHE_MODE',
  /** Replication group id (provisioned) or serverless cache name of the L2 cluster, which `GET /metrics` describes. */
  cacheId: 'MCP_ACCELERATOR_CACHE_ID',
  /** ARN of the Secrets Manager secret with the cache user's credentials. */
  cacheSecretArn: 'MCP_ACCELERATOR_CACHE_SECRET_ARN',
  /** Maximum size of the in-memory L1 cache, in bytes. */
  l1MaxSizeBytes: 'MCP_ACCELERATOR_L1_MAX_SIZE_BYTES',
  /** Minimum size of each streamed write, in bytes; 0 or unset turns padding off. */
  streamPadBytes: 'MCP_ACCELERATOR_STREAM_PAD_BYTES',
} as const;
