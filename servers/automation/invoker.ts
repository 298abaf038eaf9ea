import type { Client } from '@modelcontextprotocol/client';
import type { CallToolResult } from '@modelcontextprotocol/server';
import type { ToolInvoker } from './domain/runner.ts';

function unknownTool(name: string, why: string): CallToolResult {
  return { isError: true, content: [{ type: 'text', text: `unknown tool '${name}': ${why}` }] };
}

/**
 * `<server>__<tool>` for workflows: a server of the automation's own `mcpServers` first, then a server
 * mounted beside it (in the hub: identity, registry, memory, … and the other mounted servers), reached through
 * the composition as the hub's delegate. The automation server itself is not reachable (no workflow loops).
 */
export function siblingInvoker(options: {
  self: string;
  local: ToolInvoker;
  localNames: readonly string[];
  connect: (name: string) => Promise<Client>;
}): ToolInvoker {
  const clients = new Map<string, Promise<Client>>();
  const clientOf = (server: string): Promise<Client> => {
    let client = clients.get(server);
    if (!client) {
      client = options.connect(server);
      clients.set(server, client);
      // A server not mounted (or not up yet) is asked again next time.
      client.catch(() => clients.delete(server));
    }
    return client;
  };
  return {
    async call(name, args, signal) {
      const split = name.indexOf('__');
      if (split <= 0) return unknownTool(name, 'names are <server>__<tool>');
      const server = name.slice(0, split);
      if (options.localNames.includes(server)) return options.local.call(name, args, signal);
      if (server === options.self) return unknownTool(name, 'a workflow cannot call the automation server');
      let client: Client;
      try {
        client = await clientOf(server);
      } catch (error) {
        return unknownTool(name, `no server '${server}' here (${(error as Error).message})`);
      }
      return await client.callTool(
        { name: name.slice(split + 2), arguments: args },
        signal ? { signal } : {},
      );
    },
  };
}
