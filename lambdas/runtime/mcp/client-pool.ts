import { Client, SdkError, SdkErrorCode, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';

import type { ResolvedServer } from '../config/server-config';
import { raceAbort } from '../executor/abort';
import type { QueryMethod } from '../request/query-request';
import { logger } from '../logger';
import { CallTimer } from './call-timer';
import { UpstreamCredentials } from './upstream-auth';
import { isNetworkFailure, isUnknownSessionError, QueryError } from './upstream-error';

/** Name and version that this client reports to MCP servers in the initialize handshake. */
export const CLIENT_INFO = { name: 'mcp-accelerator', version: '0.1.0' } as const;

/** Time allowed for the initialize handshake with a server, in ms. */
export const CONNECT_TIMEOUT_MS = 5_000;

/**
 * Maximum total time of one call whose timeout progress notifications keep extending, in ms.
 * It is the largest timeout a query may set, so progress never stretches a call past what a
 * caller could request directly. The request's deadline still ends it sooner.
 */
export const DEFAULT_MAX_TOTAL_TIMEOUT_MS = 60_000;

/** Options of one upstream call. */
export interface CallOptions {
  /** Time allowed for the call, in ms; each progress notification from the server starts it again. */
  readonly timeoutMs: number;
  /** Maximum total time of the call however much progress the server reports, in ms. @default DEFAULT_MAX_TOTAL_TIMEOUT_MS */
  readonly maxTotalTimeoutMs?: number;
  /** Aborts the call, for example when the client of the request disconnects; the call rejects with the signal's reason. */
  readonly signal?: AbortSignal;
  /**
   * Whether the request only reads state, so that running it twice is harmless. A read-only
   * call that fails on a network error (a keep-alive connection the server closed while the
   * process was frozen) is sent once more on a fresh connection.
   * @default false
   */
  readonly readOnly?: boolean;
}

interface Connection {
  readonly client: Client;
  readonly transport: StreamableHTTPClientTransport;
}

/**
 * One MCP client per configured server, connected on first use and reused by every later
 * invocation of the same execution environment, so the initialize handshake is paid once.
 * Calls recover from the two failures that reuse brings: a session the server forgot gets a
 * new session and one retry, and a read-only call on a stale connection is sent once more.
 */
export class McpClientPool {
  private readonly servers: ReadonlyMap<string, ResolvedServer>;
  private readonly connections = new Map<string, Promise<Connection>>();
  /** Connections closed because their session expired; calls still in flight on them move to the new one. */
  private readonly retired = new WeakSet<Connection>();
  private readonly log = logger.createChild({ persistentKeys: { component: 'mcp-client-pool' } });

  constructor(
    servers: readonly ResolvedServer[],
    private readonly credentials: UpstreamCredentials = new UpstreamCredentials(),
  ) {
    this.servers = new Map(servers.map((server) => [server.name, server]));
  }

  /**
   * Sends one request to a configured server and resolves its result.
   * @throws QueryError `upstream_timeout` when the timeout passes, `session_expired` when a new
   *   session is rejected too, the signal's reason when it aborts; otherwise the SDK's error
   */
  async call(serverName: string, method: QueryMethod, params: Record<string, unknown>, options: CallOptions): Promise<unknown> {
    const timer = new CallTimer({
      serverName,
      timeoutMs: options.timeoutMs,
      maxTotalTimeoutMs: Math.max(options.timeoutMs, options.maxTotalTimeoutMs ?? DEFAULT_MAX_TOTAL_TIMEOUT_MS),
      signal: options.signal,
    });
    try {
      return await this.callWithRecovery(serverName, method, params, options.readOnly ?? false, timer);
    } catch (error) {
      // The SDK reports every abort as its own timeout error, so the reason is read from our signal.
      throw timer.signal.aborted ? timer.signal.reason : error;
    } finally {
      timer.dispose();
    }
  }

  /** Sends an MCP ping to a configured server and resolves its round-trip time, in ms. */
  async ping(serverName: string, timeoutMs: number): Promise<number> {
    const startedAt = performance.now();
    const { client } = await this.connect(serverName);
    await client.ping({ timeout: timeoutMs });
    return performance.now() - startedAt;
  }

  /** Closes every connection. Used by the local host and tests; Lambda freezes the process instead. */
  async close(): Promise<void> {
    const pending = [...this.connections.values()];
    this.connections.clear();
    await Promise.allSettled(pending.map(async (connection) => (await connection).client.close()));
  }

  /** Makes the call, with at most one new session and one resend after a network error: never a loop. */
  private async callWithRecovery(serverName: string, method: QueryMethod, params: Record<string, unknown>, readOnly: boolean, timer: CallTimer): Promise<unknown> {
    let connection = await raceAbort(this.connect(serverName), timer.signal);
    let sessionRenewed = false;
    let resent = false;

    for (;;) {
      const hadSession = connection.transport.sessionId !== undefined;
      try {
        return await connection.client.request(
          { method, params },
          {
            signal: timer.signal,
            // Our timer ends the call; the SDK's own timeout only backs it up.
            timeout: timer.maxTotalTimeoutMs + SDK_TIMEOUT_SLACK_MS,
            // Without a callback the SDK sends no progress token, and the server then sends no progress.
            onprogress: () => timer.extend(),
          },
        );
      } catch (error) {
        if (timer.signal.aborted) {
          throw error;
        }
        // Another call that saw the same expired session closed this connection under us.
        const closedByRenewal = this.retired.has(connection) && error instanceof SdkError && error.code === SdkErrorCode.ConnectionClosed;
        if ((hadSession && isUnknownSessionError(error)) || closedByRenewal) {
          if (sessionRenewed) {
            await this.discard(serverName, connection);
            throw new QueryError(
              'session_expired',
              `Server "${serverName}" rejected a new session too (${error.message}). Check that the server keeps sessions between requests, such as a single instance or sticky sessions behind its load balancer.`,
              { cause: error },
            );
          }
          sessionRenewed = true;
          this.log.info('MCP session expired, initializing a new one', { server: serverName, method, error });
          connection = await raceAbort(this.renew(serverName, connection), timer.signal);
          continue;
        }
        if (readOnly && !resent && isNetworkFailure(error)) {
          resent = true;
          // The failed socket is gone from the pool, so the next request opens a fresh one.
          this.log.info('Read-only MCP call failed on the network, sending it once more', { server: serverName, method, error });
          continue;
        }
        throw error;
      }
    }
  }

  private connect(serverName: string): Promise<Connection> {
    const existing = this.connections.get(serverName);
    if (existing !== undefined) {
      return existing;
    }

    const server = this.servers.get(serverName);
    if (server === undefined) {
      // The request parser rejects unknown servers first, so only a bug reaches this line.
      return Promise.reject(new Error(`Server "${serverName}" is not configured`));
    }

    // Not bound to any caller's signal: the connection is shared, so one caller that gives up must not fail it for the others.
    const connecting = this.openConnection(server);
    this.connections.set(serverName, connecting);
    // A failed handshake is forgotten so that the next query tries again.
    connecting.catch(() => {
      if (this.connections.get(serverName) === connecting) {
        this.connections.delete(serverName);
      }
    });
    return connecting;
  }

  /**
   * Replaces a connection whose session the server forgot. Concurrent calls that saw the same
   * failure share one new connection: only the first replaces it.
   */
  private async renew(serverName: string, failed: Connection): Promise<Connection> {
    const current = this.connections.get(serverName);
    if (current !== undefined && (await current.catch(() => undefined)) !== failed) {
      return current;
    }
    this.retired.add(failed);
    await this.discard(serverName, failed);
    return this.connect(serverName);
  }

  /** Removes a connection from the pool, if it is still the server's current one. */
  private async forget(serverName: string, connection: Connection): Promise<void> {
    const current = this.connections.get(serverName);
    if (current !== undefined && (await current.catch(() => undefined)) === connection) {
      this.connections.delete(serverName);
    }
  }

  private async discard(serverName: string, connection: Connection): Promise<void> {
    await this.forget(serverName, connection);
    await connection.client.close().catch((error: unknown) => this.log.warn('MCP connection could not be closed', { server: serverName, error }));
  }

  private async openConnection(server: ResolvedServer): Promise<Connection> {
    // 'auto' probes for the 2026-07-28 protocol era and falls back to the 2025 initialize
    // handshake, so one client speaks to servers of either era.
    const client = new Client(CLIENT_INFO, { capabilities: {}, versionNegotiation: { mode: 'auto' } });
    const headers = await this.credentials.headersFor(server);
    const transport = new StreamableHTTPClientTransport(new URL(server.url), { requestInit: { headers } });
    const connection: Connection = { client, transport };
    client.onerror = (error) => {
      // A server keeps sending progress for a call that we already ended (timeout, deadline,
      // abort): the SDK reports each such notification as an error, but nothing is wrong.
      if (/progress notification for an unknown token/i.test(error.message)) {
        this.log.debug('Progress for an ended call ignored', { server: server.name, message: error.message });
        return;
      }
      this.log.warn('MCP transport error', { server: server.name, error });
    };
    client.onclose = () => {
      this.log.info('MCP connection closed', { server: server.name });
      void this.forget(server.name, connection);
    };

    const startedAt = performance.now();
    await client.connect(transport, { timeout: CONNECT_TIMEOUT_MS });
    this.log.info('MCP connection opened', { server: server.name, durationMs: Math.round(performance.now() - startedAt) });
    return connection;
  }
}

/** Extra time given to the SDK's own request timeout beyond ours, in ms, so that ours always fires first. */
const SDK_TIMEOUT_SLACK_MS = 1_000;
