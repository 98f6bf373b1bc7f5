// The public surface of the runtime layer. Handlers import from here, as `@mcp-accelerator/runtime`.
export { answerQueries } from './handlers/api-queries';
export { API_ROUTES, handleApiRequest } from './handlers/api-router';
export { streamQueries } from './handlers/stream-queries';
export { closeRuntimeContext, createRuntimeContext, getRuntimeContext, getSharedCache, readServersFromEnvironment, type RuntimeContext } from './runtime-context';
export { RUNTIME_ENV } from './config/environment';
export { parseAcceleratorConfig, ConfigError, type AcceleratorConfig, type ResolvedServer } from './config/server-config';
export { parseQueryRequest, REQUEST_LIMITS, type Query, type QueryRequest } from './request/query-request';
export { RequestError } from './request/request-error';
export { QueryError } from './mcp/upstream-error';
export { METRICS, METRICS_NAMESPACE, SERVICE_NAME } from './metrics/catalogue';
export type { StreamEvent, RequestSummary } from './streaming/events';
export type { QueryOutcome } from './query/query-outcome';
export { cached, type CachedOptions, type CacheSource } from './cache/cached';
export { HybridCache, type CacheLookup, type CacheWriteOptions } from './cache/hybrid-cache';
export { UnserializableValueError } from './cache/value-codec';
