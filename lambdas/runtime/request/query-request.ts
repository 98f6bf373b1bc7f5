import { z } from 'zod';

import { RequestError } from './request-error';

/** MCP methods that a query may call. Anything else (notifications, sampling) is rejected. */
export const QUERY_METHODS = [
  'tools/call',
  'resources/read',
  'prompts/get',
  'tools/list',
  'resources/list',
  'resources/templates/list',
  'prompts/list',
] as const;

export type QueryMethod = (typeof QUERY_METHODS)[number];

/** Cache modes of one query. */
export const CACHE_MODES = ['default', 'refresh', 'bypass', 'only-if-cached'] as const;

export type CacheMode = (typeof CACHE_MODES)[number];

/**
 * Encodings of the streamed response: `ndjson` one JSON event per line, `sse` Server-Sent
 * Events, `lines` the text of each result as lines, `chunks` the text of each result as it
 * arrives.
 */
export const STREAM_MODES = ['ndjson', 'sse', 'lines', 'chunks'] as const;

export type StreamMode = (typeof STREAM_MODES)[number];

/** Limits of one request, documented in the README. */
export const REQUEST_LIMITS = {
  /** Maximum number of queries in one request. */
  maxQueries: 50,
  /** Maximum size of a request body, in bytes. */
  maxBodyBytes: 256 * 1024,
  /** Maximum number of upstream calls in flight for one request. */
  maxConcurrency: 32,
  /** Upstream calls in flight for one request when the request sets none. */
  defaultConcurrency: 8,
  /** Minimum timeout a query may set, in ms. */
  minTimeoutMs: 100,
  /** Maximum timeout a query may set, in ms. */
  maxTimeoutMs: 60_000,
  /** Timeout of one upstream call when the query and the request set none, in ms. */
  defaultTimeoutMs: 10_000,
} as const;

const timeoutMsSchema = z.number().int().min(REQUEST_LIMITS.minTimeoutMs).max(REQUEST_LIMITS.maxTimeoutMs);

const queryFields = {
  id: z.string().min(1).max(128).optional(),
  server: z.string().min(1),
  cache: z.enum(CACHE_MODES).default('default'),
  timeoutMs: timeoutMsSchema.optional(),
};

const methodQuerySchema = z
  .object({
    ...queryFields,
    method: z.enum(QUERY_METHODS),
    params: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();

/** Shorthand for `tools/call`: `{ server, tool, arguments }`. */
const toolQuerySchema = z
  .object({
    ...queryFields,
    tool: z.string().min(1),
    arguments: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();

const querySchema = z.union([methodQuerySchema, toolQuerySchema]);

const requestSchema = z
  .object({
    queries: z.array(querySchema).min(1).max(REQUEST_LIMITS.maxQueries),
    concurrency: z.number().int().min(1).max(REQUEST_LIMITS.maxConcurrency).optional(),
    timeoutMs: timeoutMsSchema.optional(),
    mode: z.enum(STREAM_MODES).optional(),
  })
  .strict();

/** One validated query, in the canonical form that the rest of the runtime uses. */
export interface Query {
  /** Caller's id for the query, or its position in the request as a string. */
  readonly id: string;
  /** Position of the query in the request. */
  readonly index: number;
  readonly server: string;
  readonly method: QueryMethod;
  readonly params: Record<string, unknown>;
  readonly cache: CacheMode;
  readonly timeoutMs: number;
}

/** One validated request. */
export interface QueryRequest {
  readonly queries: readonly Query[];
  readonly concurrency: number;
  /** Encoding of the streamed response, when the body sets one; the Accept header decides otherwise. */
  readonly mode?: StreamMode;
}

/**
 * Parses and validates a request body against the configured servers.
 * @throws RequestError naming the offending field, before any upstream call is made
 */
export function parseQueryRequest(body: string | undefined, knownServers: readonly string[]): QueryRequest {
  const document = parseJsonBody(body);

  const parsed = requestSchema.safeParse(document);
  if (!parsed.success) {
    throw toRequestError(parsed.error);
  }

  const { queries, concurrency, timeoutMs, mode } = parsed.data;
  const normalized = queries.map((query, index): Query => {
    if (!knownServers.includes(query.server)) {
      throw new RequestError(
        'unknown_server',
        `Server "${query.server}" is not configured.`,
        `Use one of: ${knownServers.join(', ')}. Servers are named in mcp-accelerator.config.json.`,
        `queries[${index}].server`,
      );
    }

    const common = {
      id: query.id ?? String(index),
      index,
      server: query.server,
      cache: query.cache,
      timeoutMs: query.timeoutMs ?? timeoutMs ?? REQUEST_LIMITS.defaultTimeoutMs,
    };
    if ('tool' in query) {
      return { ...common, method: 'tools/call', params: { name: query.tool, arguments: query.arguments ?? {} } };
    }
    return { ...common, method: query.method, params: query.params ?? {} };
  });

  return { queries: normalized, concurrency: concurrency ?? REQUEST_LIMITS.defaultConcurrency, ...(mode === undefined ? {} : { mode }) };
}

function parseJsonBody(body: string | undefined): unknown {
  if (body === undefined || body.trim() === '') {
    throw new RequestError(
      'invalid_json',
      'The request body is empty.',
      'Send a JSON object such as {"queries":[{"server":"everything","tool":"echo","arguments":{"message":"hi"}}]}.',
    );
  }
  if (Buffer.byteLength(body) > REQUEST_LIMITS.maxBodyBytes) {
    throw new RequestError(
      'payload_too_large',
      `The request body is ${Buffer.byteLength(body)} bytes, over the limit of ${REQUEST_LIMITS.maxBodyBytes}.`,
      'Split the queries over several requests.',
      undefined,
      413,
    );
  }
  try {
    return JSON.parse(body);
  } catch (error) {
    throw new RequestError(
      'invalid_json',
      `The request body is not valid JSON: ${(error as Error).message}.`,
      'Send a JSON object with a "queries" array, and the header Content-Type: application/json.',
    );
  }
}

/** Turns the first zod issue into an error that names the field and the fix. */
function toRequestError(error: z.ZodError): RequestError {
  const issue = pickMostSpecificIssue(error.issues);
  const field = formatPath(issue.path);
  return new RequestError('invalid_request', `Invalid ${field || 'request'}: ${issue.message}.`, fixFor(issue), field || undefined);
}

/**
 * Picks the issue to report. A union reports "no match" at the query itself, so this looks
 * inside it for the branch that came closest: a query with a `method` is judged by the
 * method schema and one with a `tool` by the shorthand schema.
 */
function pickMostSpecificIssue(issues: readonly z.core.$ZodIssue[]): z.core.$ZodIssue {
  const [first] = issues;
  if (first.code !== 'invalid_union') {
    return first;
  }

  const branchIssues = first.errors.map((branch) => branch.map((issue) => ({ ...issue, path: [...first.path, ...issue.path] })));
  const chosen =
    branchIssues.find((branch) => branch.every((issue) => !isMissingDiscriminator(issue))) ??
    branchIssues.reduce((fewest, branch) => (branch.length < fewest.length ? branch : fewest));
  return pickMostSpecificIssue(chosen);
}

function isMissingDiscriminator(issue: z.core.$ZodIssue): boolean {
  const key = issue.path.at(-1);
  const missing = issue.code === 'invalid_type' && issue.input === undefined && (key === 'method' || key === 'tool');
  const unexpected = issue.code === 'unrecognized_keys' && issue.keys.some((name) => ['method', 'params', 'tool', 'arguments'].includes(name));
  return missing || unexpected;
}

function fixFor(issue: z.core.$ZodIssue): string {
  const key = issue.path.at(-1);
  if (key === 'method') {
    return `Use one of: ${QUERY_METHODS.join(', ')}; or give "tool" and "arguments" in place of "method" and "params".`;
  }
  if (key === 'concurrency') {
    return `Use a whole number from 1 to ${REQUEST_LIMITS.maxConcurrency}.`;
  }
  if (key === 'cache') {
    return `Use one of: ${CACHE_MODES.join(', ')}.`;
  }
  if (key === 'mode') {
    return `Use one of: ${STREAM_MODES.join(', ')}, or leave it out and send an Accept header.`;
  }
  if (key === 'queries') {
    return `Send between 1 and ${REQUEST_LIMITS.maxQueries} queries in a "queries" array.`;
  }
  if (key === 'timeoutMs') {
    return `Use a whole number of milliseconds from ${REQUEST_LIMITS.minTimeoutMs} to ${REQUEST_LIMITS.maxTimeoutMs}.`;
  }
  if (issue.code === 'unrecognized_keys') {
    return `Remove ${issue.keys.map((name) => `"${name}"`).join(', ')}. A query has server, method and params, or server, tool and arguments.`;
  }
  return 'Correct the field as the message says; the README lists the request format.';
}

function formatPath(path: readonly PropertyKey[]): string {
  let text = '';
  for (const part of path) {
    if (typeof part === 'number') {
      text += `[${part}]`;
    } else {
      text += text === '' ? String(part) : `.${String(part)}`;
    }
  }
  return text;
}
