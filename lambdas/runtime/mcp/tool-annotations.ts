import { SingleFlight } from '../cache/single-flight';
import { logger } from '../logger';
import type { McpClientPool } from './client-pool';

/** Time a server's tool list is trusted, in ms, before it is read again. */
export const TOOL_INDEX_TTL_MS = 5 * 60_000;

/** Maximum pages of `tools/list` read, against a server whose cursor never ends. */
const MAX_TOOL_LIST_PAGES = 20;

/** Time allowed for one page of `tools/list`, in ms. */
const TOOL_LIST_TIMEOUT_MS = 5_000;

interface ToolListPage {
  readonly tools?: readonly { readonly name?: unknown; readonly annotations?: { readonly readOnlyHint?: unknown } }[];
  readonly nextCursor?: unknown;
}

/**
 * The `readOnlyHint` annotations of each server's tools, read from `tools/list` and kept for
 * TOOL_INDEX_TTL_MS. Used only for servers whose config trusts that hint.
 */
export class ToolAnnotationsIndex {
  private readonly indexes = new Map<string, { readonly readOnly: ReadonlySet<string>; readonly readAtMs: number }>();
  private readonly reads = new SingleFlight();
  private readonly log = logger.createChild({ persistentKeys: { component: 'tool-annotations' } });

  constructor(private readonly clients: McpClientPool) {}

  /** Resolves whether a tool is annotated read-only, or false when the list cannot be read. */
  async isReadOnly(server: string, tool: string): Promise<boolean> {
    const index = this.indexes.get(server);
    if (index !== undefined && Date.now() - index.readAtMs < TOOL_INDEX_TTL_MS) {
      return index.readOnly.has(tool);
    }
    try {
      const { value } = await this.reads.run(server, () => this.read(server));
      this.indexes.set(server, { readOnly: value, readAtMs: Date.now() });
      return value.has(tool);
    } catch (error) {
      // Unknown means not cacheable: the safe choice for a tool that may have side effects.
      this.log.warn('Tool list could not be read', { server, error });
      return false;
    }
  }

  private async read(server: string): Promise<ReadonlySet<string>> {
    const readOnly = new Set<string>();
    let cursor: string | undefined;
    for (let page = 0; page < MAX_TOOL_LIST_PAGES; page += 1) {
      const result = (await this.clients.call(server, 'tools/list', cursor === undefined ? {} : { cursor }, { timeoutMs: TOOL_LIST_TIMEOUT_MS, readOnly: true })) as ToolListPage;
      for (const tool of result.tools ?? []) {
        if (typeof tool.name === 'string' && tool.annotations?.readOnlyHint === true) {
          readOnly.add(tool.name);
        }
      }
      if (typeof result.nextCursor !== 'string' || result.nextCursor === '') {
        break;
      }
      cursor = result.nextCursor;
    }
    return readOnly;
  }
}
