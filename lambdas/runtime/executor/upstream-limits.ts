import { Semaphore } from './semaphore';

/**
 * Upstream calls in flight at once from one execution environment, over every request.
 * NOTE: an estimate: twice the largest `concurrency` a request may set (32), so two
 * concurrent requests each get their full share, and no more sockets than Node.js keeps
 * open comfortably. Lambda serves one request per environment, so there it never binds.
 */
export const DEFAULT_GLOBAL_CONCURRENCY = 64;

/**
 * Upstream calls in flight at once to one server from one execution environment.
 * NOTE: an estimate: twice a request's default `concurrency` (8); raise it for servers that
 * take more.
 */
export const DEFAULT_PER_SERVER_CONCURRENCY = 16;

/** Options of the shared limits. */
export interface UpstreamLimitsOptions {
  /** @default DEFAULT_GLOBAL_CONCURRENCY */
  readonly globalConcurrency?: number;
  /** @default DEFAULT_PER_SERVER_CONCURRENCY */
  readonly perServerConcurrency?: number;
}

/**
 * The concurrency limits shared by every request of one execution environment: one over all
 * servers and one per server, so that concurrent requests cannot together flood an upstream.
 */
export class UpstreamLimits {
  readonly global: Semaphore;
  private readonly perServer = new Map<string, Semaphore>();
  private readonly perServerConcurrency: number;

  constructor(options: UpstreamLimitsOptions = {}) {
    this.global = new Semaphore(options.globalConcurrency ?? DEFAULT_GLOBAL_CONCURRENCY);
    this.perServerConcurrency = options.perServerConcurrency ?? DEFAULT_PER_SERVER_CONCURRENCY;
    // Validates the option now rather than on the first call to a server.
    new Semaphore(this.perServerConcurrency);
  }

  /** Returns the limit of one server, created on first use. */
  forServer(server: string): Semaphore {
    let semaphore = this.perServer.get(server);
    if (semaphore === undefined) {
      semaphore = new Semaphore(this.perServerConcurrency);
      this.perServer.set(server, semaphore);
    }
    return semaphore;
  }
}
