import { PlexusError, invalid } from '../../../lib/errors.ts';
import { parseOrThrow } from '../../../schemas/common.ts';
import { SandboxToolManifest } from '../../../schemas/sandbox/tool-package.ts';
import { McpServerListing } from '../../../schemas/registry/tool-listing.ts';
import type { EventSink, IdentityDirectory } from './ports.ts';
import { verifySignedBy } from './signatures.ts';
import type { RegistryStore, ToolQuery, ToolRecord } from './store.ts';
import { uuidv7 } from '../../../lib/crypto/uuidv7.ts';
import { createHash } from 'node:crypto';

export interface PublishRequest {
  manifest?: unknown;
  listing?: unknown;
  /** The entry file's text of a sandboxed tool (its manifest's entrySha256 must be its hash). */
  code?: string | undefined;
  capabilities?: readonly string[] | undefined;
}

export interface ToolDeps {
  store: RegistryStore;
  identity: IdentityDirectory;
  events: EventSink;
  now: () => number;
  maxPackageBytes: number;
}

/** The uploaded code of a manifest: within the size cap and exactly what the signed entrySha256 names. */
function checkedPackage(
  manifest: SandboxToolManifest,
  code: string | undefined,
  maxBytes: number,
): { sha256: string; content: Uint8Array } {
  if (code === undefined) throw invalid('code', `the text of ${manifest.entry} is needed with a manifest`);
  const content = new TextEncoder().encode(code);
  if (content.length > maxBytes)
    throw new PlexusError(
      'invalid',
      'package_too_large',
      `code: ${content.length} bytes is more than this registry's ${maxBytes}`,
      { field: 'code' },
    );
  const sha256 = createHash('sha256').update(content).digest('hex');
  if (sha256 !== manifest.entrySha256)
    throw new PlexusError(
      'invalid',
      'package_hash_mismatch',
      `code: its SHA-256 ${sha256} is not the manifest's entrySha256 ${manifest.entrySha256}`,
      { field: 'code', hint: 'sign the package again after changing its code' },
    );
  return { sha256, content };
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
        ? parseOrThrow(SandboxToolManifest, request.manifest, 'manifest')
        : parseOrThrow(McpServerListing, request.listing, 'listing');
    if (field === 'listing' && request.code !== undefined)
      throw invalid('code', 'code goes with a manifest; an MCP server listing names where the server runs');
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
    const pkg = 'entrySha256' in entry ? checkedPackage(entry, request.code, this.#d.maxPackageBytes) : null;
    const now = this.#d.now();
    const result = await this.#d.store.putTool(
      {
        id: uuidv7(now),
        kind: field === 'manifest' ? 'manifest' : 'mcp_server',
        name: entry.name,
        version: entry.version,
        description: entry.description,
        capabilities: [...new Set(request.capabilities ?? [])].sort(),
        author: entry.author,
        entry,
        packageSha256: pkg?.sha256 ?? null,
        packageBytes: pkg?.content.length ?? null,
        publishedAt: now,
        updatedAt: now,
      },
      pkg?.content,
    );
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

  /** A sandboxed tool with its code, as stored under the signed hash. */
  async package(id: string): Promise<{ tool: ToolRecord; code: string }> {
    const tool = await this.get(id);
    const content = tool.packageSha256 ? await this.#d.store.getPackage(tool.packageSha256) : null;
    if (!content)
      throw new PlexusError('not_found', 'package_not_found', `${tool.name} has no package to install`, {
        field: 'id',
        hint: tool.kind === 'mcp_server' ? 'an MCP server listing says where the server runs' : undefined,
      });
    return { tool, code: new TextDecoder().decode(content) };
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
