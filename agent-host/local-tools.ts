import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import type { CallToolResult } from '@modelcontextprotocol/client';
import type { Logger } from '../lib/log.ts';
import type { AgentTools, ToolInfo } from './brain.ts';
import type { AgentConfig, AgentPaths, McpServerEntry } from './config.ts';

/**
 * The agent's own MCP tool servers (the `mcpServers` map, plus the default filesystem and system servers),
 * and the hub's tools, behind one `AgentTools`: local tools as `<server>__<tool>`, hub tools as
 * `hub__<server>__<tool>`.
 */
const PLEXUS_BIN = path.resolve(import.meta.dirname, '../bin/plexus.ts');
const HUB_PREFIX = 'hub';

/** The default servers: the reference filesystem server rooted at the configured folders, and `system`. */
export function defaultServers(config: AgentConfig, paths: AgentPaths): Record<string, McpServerEntry> {
  if (!config.defaultTools) return {};
  const roots = config.filesystemRoots.map((root) => path.resolve(paths.dir, root));
  for (const root of roots) fs.mkdirSync(root, { recursive: true });
  const filesystem = createRequire(import.meta.url).resolve(
    '@modelcontextprotocol/server-filesystem/dist/index.js',
  );
  return {
    filesystem: { command: process.execPath, args: [filesystem, ...roots], env: {}, disabled: false },
    system: {
      command: process.execPath,
      args: [
        '--no-node-snapshot',
        PLEXUS_BIN,
        'serve',
        'system',
        '--stdio',
        '--data',
        path.join(paths.storage, 'system'),
      ],
      env: {},
      disabled: false,
    },
  };
}

interface Connected {
  name: string;
  client: Client;
}

export class LocalTools {
  readonly #servers = new Map<string, Connected>();
  readonly #log: Logger;

  constructor(log: Logger) {
    this.#log = log;
  }

  /**
   * Starts every enabled entry; one that fails is logged and left out, the others still serve. Aborting
   * `signal` gives up the entries still starting (their children are stopped).
   */
  async start(
    entries: Record<string, McpServerEntry>,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<void> {
    await Promise.all(
      Object.entries(entries)
        .filter(([, entry]) => !entry.disabled)
        .map(async ([name, entry]) => {
          const client = new Client({ name: 'plexus-agent', version: '1.0.0' }, { capabilities: {} });
          const transport =
            'command' in entry
              ? new StdioClientTransport({
                  command: entry.command,
                  args: entry.args,
                  env: { ...(process.env as Record<string, string>), ...entry.env },
                  ...(entry.cwd ? { cwd: entry.cwd } : {}),
                  stderr: 'ignore',
                })
              : new StreamableHTTPClientTransport(new URL(entry.url), {
                  requestInit: { headers: entry.headers },
                });
          try {
            await client.connect(transport, { timeout: timeoutMs, ...(signal ? { signal } : {}) });
            this.#servers.set(name, { name, client });
            this.#log.info({ server: name }, 'local tool server connected');
          } catch (error) {
            this.#log.error({ server: name, err: error }, 'local tool server failed to start');
            await client.close().catch(() => undefined);
          }
        }),
    );
  }

  get names(): string[] {
    return [...this.#servers.keys()];
  }

  /** Tools of the local servers and, when given, of the hub. */
  toolsWith(hub: () => Client | null): AgentTools {
    const servers = this.#servers;
    return {
      async list(): Promise<ToolInfo[]> {
        const lists = await Promise.all(
          [...servers.values()].map(async ({ name, client }) =>
            (await client.listTools()).tools.map((tool) => ({ ...tool, name: `${name}__${tool.name}` })),
          ),
        );
        const hubClient = hub();
        if (hubClient) {
          const hubTools = await hubClient.listTools();
          lists.push(hubTools.tools.map((tool) => ({ ...tool, name: `${HUB_PREFIX}__${tool.name}` })));
        }
        return lists.flat();
      },
      async call(name, args, signal): Promise<CallToolResult> {
        const split = name.indexOf('__');
        const prefix = split > 0 ? name.slice(0, split) : '';
        const tool = name.slice(split + 2);
        const client = prefix === HUB_PREFIX ? hub() : servers.get(prefix)?.client;
        if (split <= 0 || !client) {
          return {
            isError: true,
            content: [{ type: 'text', text: `unknown tool '${name}' (names are <server>__<tool>)` }],
          };
        }
        return await client.callTool({ name: tool, arguments: args }, signal ? { signal } : {});
      },
    };
  }

  async close(): Promise<void> {
    await Promise.all([...this.#servers.values()].map(({ client }) => client.close().catch(() => undefined)));
    this.#servers.clear();
  }
}
