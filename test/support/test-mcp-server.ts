import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { z } from 'zod';

/**
 * An MCP server of our own for tests, built with the MCP SDK's server side and listening on
 * loopback only. Its tools make results whose size, delay, error flag and cache hints a test
 * chooses per call, and it counts the calls of each tool.
 *
 * Tools:
 * - `lookup` (read-only): returns `{ key }` as text after `delayMs`.
 * - `counter` (not read-only): returns how many times it was called.
 * - `fail`: returns an `isError` result with the given message.
 * - `hinted`: returns a result with the given `ttlMs` and `cacheScope` hints and the caller's `who`.
 */
export class TestMcpServer {
  /** Calls per tool name since the server started or `resetCounts` was called. */
  readonly calls = new Map<string, number>();
  /** `Authorization` header of every HTTP request received, in order. */
  readonly authorizations: (string | undefined)[] = [];
  private readonly sessions = new Map<string, StreamableHTTPServerTransport>();
  private constructor(private readonly http: Server) {}

  /** Starts the server on a free loopback port. */
  static async start(): Promise<TestMcpServer> {
    let instance: TestMcpServer | undefined;
    const http = createServer((request, response) => void instance!.handle(request, response));
    instance = new TestMcpServer(http);
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
  }

  async stop(): Promise<void> {
    await Promise.all([...this.sessions.values()].map((transport) => transport.close()));
    this.http.closeAllConnections();
    await new Promise((resolve) => this.http.close(resolve));
  }

  private count(tool: string): number {
    const calls = this.callsOf(tool) + 1;
    this.calls.set(tool, calls);
    return calls;
  }

  private createMcpServer(): McpServer {
    const server = new McpServer({ name: 'mcp-accelerator-test-server', version: '1.0.0' });
    server.registerTool(
      'lookup',
      { inputSchema: { key: z.string(), delayMs: z.number().optional() }, annotations: { readOnlyHint: true } },
      async ({ key, delayMs }) => {
        this.count('lookup');
        await new Promise((resolve) => setTimeout(resolve, delayMs ?? 0));
        return { content: [{ type: 'text', text: `value of ${key}` }] };
      },
    );
    server.registerTool('counter', { inputSchema: {}, annotations: { readOnlyHint: false } }, async () => ({
      content: [{ type: 'text', text: `call ${this.count('counter')}` }],
    }));
    server.registerTool('fail', { inputSchema: { message: z.string() } }, async ({ message }) => {
      this.count('fail');
      return { content: [{ type: 'text', text: message }], isError: true };
    });
    server.registerTool(
      'hinted',
      { inputSchema: { who: z.string(), ttlMs: z.number().optional(), cacheScope: z.enum(['public', 'private']).optional() } },
      async ({ who, ttlMs, cacheScope }) => {
        this.count('hinted');
        return { content: [{ type: 'text', text: `secret of ${who}` }], ...(ttlMs === undefined ? {} : { ttlMs }), ...(cacheScope === undefined ? {} : { cacheScope }) };
      },
    );
    return server;
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    this.authorizations.push(request.headers.authorization);
    const sessionId = request.headers['mcp-session-id'];
    if (typeof sessionId === 'string') {
      const transport = this.sessions.get(sessionId);
      if (transport === undefined) {
        response.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32001, message: 'Session not found' }, id: null }));
        return;
      }
      await transport.handleRequest(request, response);
      return;
    }

    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id: string): void => {
        this.sessions.set(id, transport);
      },
    });
    transport.onclose = () => {
      if (transport.sessionId !== undefined) {
        this.sessions.delete(transport.sessionId);
      }
    };
    await this.createMcpServer().connect(transport);
    await transport.handleRequest(request, response);
  }
}
