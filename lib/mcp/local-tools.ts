import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { Client, SdkError, SdkErrorCode, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import type { CallToolResult, Tool, Transport } from '@modelcontextprotocol/client';
import type { McpServerEntry } from '../../schemas/mcp-servers.ts';
import type { Logger } from '../log.ts';

/**
 * Local MCP tool servers (an `mcpServers` map) and, optionally, the hub's tools behind one namespace: local
 * tools as `<server>__<tool>`, hub tools as `hub__<server>__<tool>`. An agent's brain and the automation
 * server's workflows call tools through it.
 */
const HUB_PREFIX = 'hub';

/** Tools by namespaced name (`filesystem__read_file`, `hub__memory__recall`). */
export interface NamespacedTools {
  list(): Promise<Tool[]>;
  call(name: string, args: Record<string, unknown>, signal?: AbortSignal): Promise<CallToolResult>;
}

interface Connected {
  name: string;
  client: Client;
}

/**
 * The SDK's stdio transport as a subclass, so that the SDK asks the child itself whether it speaks 2026-07-28
 * instead of first spawning a disposable sibling from the same command for the question: the agent starts
 * each local server once (a `plexus serve` child costs about a second of CPU on a small machine, and works in
 * its data dir from its first moment) and closes every process it started.
 */
class InPlaceStdioTransport extends StdioClientTransport {}

function transportFor(entry: McpServerEntry): Transport {
  return 'command' in entry
    ? new InPlaceStdioTransport({
        command: entry.command,
        args: entry.args,
        env: { ...(process.env as Record<string, string>), ...entry.env },
        ...(entry.cwd ? { cwd: entry.cwd } : {}),
        stderr: 'ignore',
      })
    : new StreamableHTTPClientTransport(new URL(entry.url), { requestInit: { headers: entry.headers } });
}

/**
 * Connects to one local server, 2026-07-28 first and the 2025 handshake for a server that only speaks that.
 * A stdio server that exits when asked anything before `initialize` (servers on some SDKs do) is started once
 * more and goes straight to the handshake.
 */
async function connectServer(
  entry: McpServerEntry,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<Client> {
  const attempt = async (legacy: boolean): Promise<Client> => {
    const client = new Client(
      { name: 'plexus-agent', version: '1.0.0' },
      {
        capabilities: {},
        // The question waits as long as the handshake would: a stdio server silent until then is taken for a
        // 2025-era one, and one that merely starts slowly (a busy machine, an `npx` download) must not be.
        versionNegotiation: { mode: 'auto', probe: { timeoutMs } },
      },
    );
    try {
      await client.connect(transportFor(entry), {
        timeout: timeoutMs,
        ...(signal ? { signal } : {}),
        ...(legacy ? { prior: { kind: 'legacy' as const } } : {}),
      });
      return client;
    } catch (error) {
      await client.close().catch(() => undefined);
      throw error;
    }
  };
  try {
    return await attempt(false);
  } catch (error) {
    const exitedOnProbe =
      'command' in entry && error instanceof SdkError && error.code === SdkErrorCode.EraNegotiationFailed;
    if (!exitedOnProbe || signal?.aborted) throw error;
    return attempt(true);
  }
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
          try {
            const client = await connectServer(entry, timeoutMs, signal);
            this.#servers.set(name, { name, client });
            const protocol = client.getNegotiatedProtocolVersion();
            this.#log.info({ server: name, protocol }, 'local tool server connected');
          } catch (error) {
            this.#log.error({ server: name, err: error }, 'local tool server failed to start');
          }
        }),
    );
  }

  get names(): string[] {
    return [...this.#servers.keys()];
  }

  /** Tools of the local servers and, when given, of the hub. */
  toolsWith(hub: () => Client | null): NamespacedTools {
    const servers = this.#servers;
    return {
      async list(): Promise<Tool[]> {
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
