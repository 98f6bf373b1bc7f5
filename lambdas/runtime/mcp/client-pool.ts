import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';

import type { ResolvedServer } from '../config/server-config';
import type { QueryMethod } from '../request/query-request';
import { logger } from '../logger';
import { UpstreamCredentials } from './upstream-auth';

/** Name and version that this client reports to MCP servers in the initialize handshake. */
export const CLIENT_INFO = { name: 'mcp-accelerator', version: '0.1.0' } as const;

/** Time allowed for the initialize handshake with a server, in ms. */
export const CONNECT_TIMEOUT_MS = 5_000;

/** Options of one upstream call. */
export interface CallOptions {
  /** Time allowed for the call, in ms. */
  readonly timeoutMs: number;
  /** Aborts the call, for example when the client of the request disconnects. */
  readonly signal?: AbortSignal;
}

/**
 * One MCP client per configured server, connected on first use and reused by every later
 * invocation of the same execution environment, so the initialize handshake is paid once.
 */
export class McpClientPool {
  private readonly servers: ReadonlyMap<string, ResolvedServer>;
  private readonly clients = new Map<string, Promise<Client>>();
  private readonly log = logger.createChild({ persistentKeys: { component: 'mcp-client-pool' } });

  constructor(
    servers: readonly ResolvedServer[],
    private readonly credentials: UpstreamCredentials = new UpstreamCredentials(),
  ) {
    this.servers = new Map(servers.map((server) => [server.name, server]));
  }

  /** Sends one request to a configured server and resolves its result. */
  async call(serverName: string, method: QueryMethod, params: Record<string, unknown>, options: CallOptions): Promise<unknown> {
    const client = await this.connect(serverName, options.signal);
    return client.request({ method, params }, { timeout: options.timeoutMs, signal: options.signal });
  }

  /** Sends an MCP ping to a configured server and resolves its round-trip time, in ms. */
  async ping(serverName: string, timeoutMs: number): Promise<number> {
    const startedAt = performance.now();
    const client = await this.connect(serverName);
    await client.ping({ timeout: timeoutMs });
    return performance.now() - startedAt;
  }

  /** Closes every connection. Used by the local host and tests; Lambda freezes the process instead. */
  async close(): Promise<void> {
    const pending = [...this.clients.values()];
    this.clients.clear();
    await Promise.allSettled(pending.map(async (client) => (await client).close()));
  }

  private connect(serverName: string, signal?: AbortSignal): Promise<Client> {
    const existing = this.clients.get(serverName);
    if (existing !== undefined) {
      return existing;
    }

    const server = this.servers.get(serverName);
    if (server === undefined) {
      // The request parser rejects unknown servers first, so only a bug reaches this line.
      return Promise.reject(new Error(`Server "${serverName}" is not configured`));
    }

    const connecting = this.openClient(server, signal);
    this.clients.set(serverName, connecting);
    // A failed handshake is forgotten so that the next query tries again.
    connecting.catch(() => this.clients.delete(serverName));
    return connecting;
  }

  private async openClient(server: ResolvedServer, signal?: AbortSignal): Promise<Client> {
    // 'auto' probes for the 2026-07-28 protocol era and falls back to the 2025 initialize
    // handshake, so one client speaks to servers of either era.
    const client = new Client(CLIENT_INFO, { capabilities: {}, versionNegotiation: { mode: 'auto' } });
    const headers = await this.credentials.headersFor(server);
    const transport = new StreamableHTTPClientTransport(new URL(server.url), { requestInit: { headers } });
    client.onerror = (error) => this.log.warn('MCP transport error', { server: server.name, error });
    client.onclose = () => {
      this.log.info('MCP connection closed', { server: server.name });
      this.clients.delete(server.name);
    };

    const startedAt = performance.now();
    await client.connect(transport, { timeout: CONNECT_TIMEOUT_MS, signal });
    this.log.info('MCP connection opened', { server: server.name, durationMs: Math.round(performance.now() - startedAt) });
    return client;
  }
}
