import { buildCacheKey, callerPartition } from '../cache/cache-key';
import { cachePolicyFor, type CachePolicy } from '../cache/cache-policy';
import type { HybridCache } from '../cache/hybrid-cache';
import type { ResolvedServer } from '../config/server-config';
import type { ToolAnnotationsIndex } from '../mcp/tool-annotations';
import type { Query } from '../request/query-request';

/** A query with its server, cache policy and keys. */
export interface PlannedQuery {
  readonly query: Query;
  readonly server: ResolvedServer;
  readonly policy: CachePolicy;
  /** Key under which results are shared by every caller; absent for servers partitioned by caller. */
  readonly sharedKey?: string;
  /** Key in the caller's own partition; absent when the caller is unknown. */
  readonly partitionKey?: string;
}

/** Collaborators of the planner. */
export interface QueryPlannerDependencies {
  readonly servers: ReadonlyMap<string, ResolvedServer>;
  readonly cache: HybridCache;
  readonly toolAnnotations: ToolAnnotationsIndex;
}

/** Derives the cache policy and keys of each query. */
export class QueryPlanner {
  constructor(private readonly dependencies: QueryPlannerDependencies) {}

  /**
   * Plans one query.
   * @param caller identity of the caller (an IAM ARN), which partitions private results
   */
  async plan(query: Query, caller?: string): Promise<PlannedQuery> {
    const server = this.dependencies.servers.get(query.server);
    if (server === undefined) {
      // The request parser rejects unknown servers, so only a bug reaches this line.
      throw new Error(`Server "${query.server}" is not configured`);
    }

    const tool = query.method === 'tools/call' && typeof query.params.name === 'string' ? query.params.name : undefined;
    const readOnlyHint = await this.readOnlyHint(server, tool);
    const policy = cachePolicyFor(query, server, readOnlyHint);
    if (!policy.cacheable) {
      return { query, server, policy };
    }

    const generation = await this.dependencies.cache.generations.current(server.name, query.method, tool);
    const parts = { method: query.method, params: query.params, generation };
    return {
      query,
      server,
      policy,
      sharedKey: server.cache.partitionByCaller ? undefined : buildCacheKey(server, parts),
      partitionKey: caller === undefined ? undefined : buildCacheKey(server, { ...parts, partition: callerPartition(caller) }),
    };
  }

  /** Reads a tool's `readOnlyHint` only where the config trusts it and does not already list the tool. */
  private async readOnlyHint(server: ResolvedServer, tool: string | undefined): Promise<boolean | undefined> {
    if (tool === undefined || !server.cache.trustReadOnlyHint || server.cache.cacheableTools.includes(tool)) {
      return undefined;
    }
    return this.dependencies.toolAnnotations.isReadOnly(server.name, tool);
  }
}
