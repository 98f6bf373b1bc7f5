import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { CallToolRequestSchema, ErrorCode, ListToolsRequestSchema, McpError, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';

/** What a `work` or `mutate` call does after its delay. */
export type WorkOutcome = 'ok' | 'tool_error' | 'protocol_error' | 'hang' | 'drop';

/** Arguments of the `work` and `mutate` tools: every field sets one behaviour of that call. */
export interface WorkArguments {
  /** Echoed in the result text. @default 'k' */
  readonly key?: string;
  /** Time before the response, in ms. @default 0 */
  readonly delayMs?: number;
  /** Size of the result text, in bytes; padded with `x`. @default - the text alone */
  readonly sizeBytes?: number;
  /** Progress notifications sent during the delay, evenly spaced; only sent when the client asked for progress. @default 0 */
  readonly progressCount?: number;
  /** What the call does: return a result, return isError, fail with a JSON-RPC error, never respond, or close the connection. @default 'ok' */
  readonly outcome?: WorkOutcome;
}

/** Options of the test server. */
export interface TestMcpServerOptions {
  /**
   * Time an idle keep-alive connection stays open, in ms, as `server.keepAliveTimeout`.
   * @default 5000 (Node.js's default)
   */
  readonly keepAliveTimeoutMs?: number;
  /**
   * HTTP status of a request whose `Mcp-Session-Id` the server does not have: 404, as the MCP
   * specification requires, or 400, as server-everything returns.
   * @default 404
   */
  readonly unknownSessionStatus?: 404 | 400;
}

const workSchema = z.object({
  key: z.string().optional(),
  delayMs: z.number().int().min(0).optional(),
  sizeBytes: z.number().int().min(0).optional(),
  progressCount: z.number().int().min(0).optional(),
  outcome: z.enum(['ok', 'tool_error', 'protocol_error', 'hang', 'drop']).optional(),
});

const lookupSchema = z.object({ key: z.string(), delayMs: z.number().optional() });
const failSchema = z.object({ message: z.string() });
const hintedSchema = z.object({ who: z.string(), ttlMs: z.number().optional(), cacheScope: z.enum(['public', 'private']).optional() });

interface ToolDefinition {
  readonly schema: z.ZodObject;
  readonly readOnly?: boolean;
  readonly run: (args: never, extra: ToolCallExtra) => Promise<CallToolResult>;
}

/** The part of the SDK's request context that the tools use. */
interface ToolCallExtra {
  readonly signal: AbortSignal;
  readonly progressToken?: string | number;
  readonly sendProgress: (progress: number, total: number) => Promise<void>;
}

/**
 * An MCP server of our own for tests and benchmarks, built with the MCP SDK's server side and
 * listening on loopback only. A test sets each call's latency, result size, progress
 * notifications and failure, can make the server forget every session, and reads counts of
 * tool calls, initialize handshakes and rejected sessions.
 *
 * Tools:
 * - `work` (annotated read-only) and `mutate` (annotated not read-only): follow their
 *   `WorkArguments`, and return `work of KEY` (padded to `sizeBytes`).
 * - `lookup` (read-only): returns `value of KEY` as text after `delayMs`.
 * - `counter` (not read-only): returns how many times it was called.
 * - `fail`: returns an `isError` result with the given message.
 * - `hinted`: returns a result with the given `ttlMs` and `cacheScope` hints and the caller's `who`.
 */
export class TestMcpServer {
  /** Calls per tool name since the server started or `resetCounts` was called. */
  readonly calls = new Map<string, number>();
  /** `Authorization` header of every HTTP request received, in order. */
  readonly authorizations: (string | undefined)[] = [];
  /** Initialize handshakes received since the server started or `resetCounts` was called. */
  initializeCount = 0;
  /** Requests rejected because their `Mcp-Session-Id` was unknown. */
  unknownSessionCount = 0;
  /** Tool calls that the client cancelled (or that the server's stop ended) before they returned. */
  cancelledCount = 0;
  /** When true, every request that carries a session id is rejected as unknown, so no session survives. */
  rejectAllSessions = false;
  private readonly sessions = new Map<string, StreamableHTTPServerTransport>();
  /** Ends every pending delay and hang, so `stop` leaves no timer behind. */
  private readonly stopping = new AbortController();

  private constructor(
    private readonly http: HttpServer,
    private readonly unknownSessionStatus: 404 | 400,
  ) {}

  /** Starts the server on a free loopback port. */
  static async start(options: TestMcpServerOptions = {}): Promise<TestMcpServer> {
    let instance: TestMcpServer | undefined;
    const http = createServer((request, response) => void instance!.handle(request, response));
    if (options.keepAliveTimeoutMs !== undefined) {
      http.keepAliveTimeout = options.keepAliveTimeoutMs;
    }
    instance = new TestMcpServer(http, options.unknownSessionStatus ?? 404);
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    return instance;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.http.address() as AddressInfo).port}/mcp`;
  }

  /** Number of calls of one tool. */
  callsOf(tool: string): number {
    return this.calls.get(tool) ?? 0;
  }

  resetCounts(): void {
    this.calls.clear();
    this.initializeCount = 0;
    this.unknownSessionCount = 0;
    this.cancelledCount = 0;
  }

  /** Forgets every session, as a server that restarted would: the next request of each gets the unknown-session status. */
  async forgetSessions(): Promise<void> {
    const transports = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.all(transports.map((transport) => transport.close()));
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await this.forgetSessions();
    this.http.closeAllConnections();
    await new Promise((resolve) => this.http.close(resolve));
  }

  private count(tool: string): number {
    const calls = this.callsOf(tool) + 1;
    this.calls.set(tool, calls);
    return calls;
  }

  private tools(): Record<string, ToolDefinition> {
    return {
      work: { schema: workSchema, readOnly: true, run: (args: WorkArguments, extra) => this.work('work', args, extra) },
      mutate: { schema: workSchema, readOnly: false, run: (args: WorkArguments, extra) => this.work('mutate', args, extra) },
      lookup: {
        schema: lookupSchema,
        readOnly: true,
        run: async ({ key, delayMs }: z.infer<typeof lookupSchema>, extra) => {
          this.count('lookup');
          await this.sleep(delayMs ?? 0, extra.signal);
          return { content: [{ type: 'text', text: `value of ${key}` }] };
        },
      },
      counter: {
        schema: z.object({}),
        readOnly: false,
        run: async () => ({ content: [{ type: 'text', text: `call ${this.count('counter')}` }] }),
      },
      fail: {
        schema: failSchema,
        run: async ({ message }: z.infer<typeof failSchema>) => {
          this.count('fail');
          return { content: [{ type: 'text', text: message }], isError: true };
        },
      },
      hinted: {
        schema: hintedSchema,
        run: async ({ who, ttlMs, cacheScope }: z.infer<typeof hintedSchema>) => {
          this.count('hinted');
          return { content: [{ type: 'text', text: `secret of ${who}` }], ...(ttlMs === undefined ? {} : { ttlMs }), ...(cacheScope === undefined ? {} : { cacheScope }) };
        },
      },
    };
  }

  private async work(tool: string, args: WorkArguments, extra: ToolCallExtra): Promise<CallToolResult> {
    this.count(tool);
    const delayMs = args.delayMs ?? 0;
    const progressCount = extra.progressToken === undefined ? 0 : (args.progressCount ?? 0);
    const step = delayMs / (progressCount + 1);
    for (let sent = 0; sent < progressCount && !extra.signal.aborted; sent += 1) {
      await this.sleep(step, extra.signal);
      await extra.sendProgress(sent + 1, progressCount);
    }
    await this.sleep(delayMs - step * progressCount, extra.signal);
    if (extra.signal.aborted) {
      this.cancelledCount += 1;
      throw new McpError(ErrorCode.RequestTimeout, 'the call was cancelled');
    }

    const text = `work of ${args.key ?? 'k'}`;
    switch (args.outcome ?? 'ok') {
      case 'tool_error':
        return { content: [{ type: 'text', text: `${tool} failed as asked for key ${args.key ?? 'k'}` }], isError: true };
      case 'protocol_error':
        throw new McpError(ErrorCode.InternalError, `${tool} raised a protocol error as asked`);
      case 'hang':
        // Never responds: the call ends only when the client cancels it or the server stops.
        await new Promise<void>((resolve) => {
          extra.signal.addEventListener('abort', () => resolve(), { once: true });
          this.stopping.signal.addEventListener('abort', () => resolve(), { once: true });
        });
        this.cancelledCount += 1;
        throw new McpError(ErrorCode.RequestTimeout, 'the hanging call was cancelled');
      default:
        return { content: [{ type: 'text', text: args.sizeBytes === undefined ? text : text.padEnd(args.sizeBytes, 'x') }] };
    }
  }

  /** Waits `ms`, or less if the call is cancelled or the server stops. */
  private sleep(ms: number, signal: AbortSignal): Promise<void> {
    if (ms <= 0) {
      return Promise.resolve();
    }
    const ended = AbortSignal.any([signal, this.stopping.signal]);
    if (ended.aborted) {
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      ended.addEventListener('abort', () => {
        clearTimeout(timer);
        resolve();
      }, { once: true });
    });
  }

  private createMcpServer(): Server {
    const server = new Server({ name: 'mcp-accelerator-test-server', version: '1.0.0' }, { capabilities: { tools: {} } });
    const tools = this.tools();
    server.setRequestHandler(ListToolsRequestSchema, async () => ({
      tools: Object.entries(tools).map(([name, tool]) => ({
        name,
        inputSchema: z.toJSONSchema(tool.schema) as { type: 'object' },
        ...(tool.readOnly === undefined ? {} : { annotations: { readOnlyHint: tool.readOnly } }),
      })),
    }));
    server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
      const tool = tools[request.params.name];
      if (tool === undefined) {
        throw new McpError(ErrorCode.InvalidParams, `Tool ${request.params.name} not found`);
      }
      const parsed = tool.schema.safeParse(request.params.arguments ?? {});
      if (!parsed.success) {
        throw new McpError(ErrorCode.InvalidParams, `Invalid arguments for tool ${request.params.name}: ${parsed.error.message}`);
      }
      const progressToken = request.params._meta?.progressToken;
      return tool.run(parsed.data as never, {
        signal: extra.signal,
        progressToken,
        sendProgress: (progress, total) =>
          progressToken === undefined ? Promise.resolve() : extra.sendNotification({ method: 'notifications/progress', params: { progressToken, progress, total } }),
      });
    });
    return server;
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    this.authorizations.push(request.headers.authorization);
    const body = request.method === 'POST' ? await readJson(request) : undefined;
    const sessionId = request.headers['mcp-session-id'];

    if (typeof sessionId === 'string') {
      const transport = this.rejectAllSessions ? undefined : this.sessions.get(sessionId);
      if (transport === undefined) {
        this.unknownSessionCount += 1;
        response
          .writeHead(this.unknownSessionStatus, { 'content-type': 'application/json' })
          .end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32001, message: 'Session not found' }, id: null }));
        return;
      }
      if (isDropRequest(body)) {
        // Closes the connection without a response, as a crashed server or a proxy would.
        this.count((body as { params: { name: string } }).params.name);
        request.socket.destroy();
        return;
      }
      await transport.handleRequest(request, response, body);
      return;
    }

    if (isInitializeRequest(body)) {
      this.initializeCount += 1;
    }
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id: string): void => {
        this.sessions.set(id, transport);
      },
    });
    transport.onclose = () => {
      if (transport.sessionId !== undefined && this.sessions.get(transport.sessionId) === transport) {
        this.sessions.delete(transport.sessionId);
      }
    };
    await this.createMcpServer().connect(transport);
    await transport.handleRequest(request, response, body);
  }
}

/** Reads a request body as JSON, or undefined when it is empty or not JSON (the transport then rejects it). */
async function readJson(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) {
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    return undefined;
  }
}

function isInitializeRequest(body: unknown): boolean {
  return typeof body === 'object' && body !== null && (body as { method?: unknown }).method === 'initialize';
}

function isDropRequest(body: unknown): boolean {
  const message = body as { method?: unknown; params?: { arguments?: { outcome?: unknown } } } | undefined;
  return message?.method === 'tools/call' && message.params?.arguments?.outcome === 'drop';
}
