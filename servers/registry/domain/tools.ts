import { PlexusError, invalid } from '../../../lib/errors.ts';
import { parseOrThrow } from '../../../schemas/common.ts';
import { ToolManifest } from '../../../schemas/tool-manifest.ts';
import { McpServerListing } from '../../../schemas/registry/tool-listing.ts';
import type { EventSink, IdentityDirectory } from './ports.ts';
import { verifySignedBy } from './signatures.ts';
import type { RegistryStore, ToolQuery, ToolRecord } from './store.ts';
import { uuidv7 } from '../../../lib/crypto/uuidv7.ts';

export interface PublishRequest {
  manifest?: unknown;
  listing?: unknown;
  capabilities?: readonly string[] | undefined;
}

export interface ToolDeps {
  store: RegistryStore;
  identity: IdentityDirectory;
  events: EventSink;
  now: () => number;
}

/** Published tools: signed sandbox manifests and MCP server listings; only the author changes an entry. */
export class ToolService {
  readonly #d: ToolDeps;

  constructor(deps: ToolDeps) {
    this.#d = deps;
  }

  async publish(caller: string, request: PublishRequest): Promise<{ tool: ToolRecord; created: boolean }> {
    if ((request.manifest === undefined) === (request.listing === undefined)) {
      throw invalid('manifest', 'give exactly one of manifest (a sandboxed tool) or listing (an MCP server)');
    }
    const field = request.manifest !== undefined ? 'manifest' : 'listing';
    const entry =
      request.manifest !== undefined
        ? parseOrThrow(ToolManifest, request.manifest, 'manifest')
        : parseOrThrow(McpServerListing, request.listing, 'listing');
    if (entry.author !== caller) {
      throw new PlexusError(
        'forbidden',
        'author_not_caller',
        `${field}.author ${entry.author} is not the caller`,
        {
          hint: 'publish entries you authored and signed yourself',
          field: `${field}.author`,
        },
      );
    }
    await verifySignedBy(this.#d.identity, entry.author, entry, field);
    const now = this.#d.now();
    const result = await this.#d.store.putTool({
      id: uuidv7(now),
      kind: field === 'manifest' ? 'manifest' : 'mcp_server',
      name: entry.name,
      version: entry.version,
      description: entry.description,
      capabilities: [...new Set(request.capabilities ?? [])].sort(),
      author: entry.author,
      entry,
      publishedAt: now,
      updatedAt: now,
    });
    await this.#d.events.publish('tool.published', result.tool.id, {
      name: result.tool.name,
      version: result.tool.version,
      kind: result.tool.kind,
      author: result.tool.author,
      created: result.created,
    });
    return result;
  }

  async get(id: string): Promise<ToolRecord> {
    const tool = await this.#d.store.getTool(id);
    if (!tool) throw new PlexusError('not_found', 'tool_not_found', `no tool ${id}`, { field: 'id' });
    return tool;
  }

  find(query: ToolQuery): Promise<{ tools: ToolRecord[]; total: number }> {
    return this.#d.store.findTools(query);
  }

  async withdraw(caller: string, id: string): Promise<ToolRecord> {
    const tool = await this.get(id);
    if (tool.author !== caller) {
      throw new PlexusError('forbidden', 'not_author', `only the author of ${tool.name} can withdraw it`, {
        field: 'id',
      });
    }
    await this.#d.store.deleteTool(id);
    await this.#d.events.publish('tool.withdrawn', id, {
      name: tool.name,
      version: tool.version,
      author: tool.author,
    });
    return tool;
  }
}
