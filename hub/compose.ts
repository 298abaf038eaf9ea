import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import type { Logger } from '../lib/log.ts';
import type { Component, ComponentFactory, CoreServerName, ServerContext } from '../lib/mcp/component.ts';
import { connectInProcess } from '../lib/mcp/in-process.ts';
import { serviceAuthInfo } from '../lib/mcp/local-composition.ts';

/** One server of the composition: started here from its factory, or running elsewhere at a URL. */
export type Placement =
  | { kind: 'in-process'; factory: ComponentFactory; settings: unknown }
  | { kind: 'remote'; url: string; headers: Record<string, string> };

export interface Composition {
  /** The in-process components, by name. */
  components: ReadonlyMap<string, Component>;
  close(): Promise<void>;
}

/**
 * Starts the in-process servers in order and wires `ctx.connect` to every sibling, wherever it runs: an
 * in-process sibling over a linked in-memory pair, a remote one over streamable HTTP — the calling code in
 * the servers is the same. (lib/mcp/local-composition.ts is the all-in-process special case tests use.)
 */
export async function compose(
  placements: ReadonlyMap<string, Placement>,
  options: {
    dataDir: string;
    databaseUrl?: string | undefined;
    redisUrl?: string | undefined;
    log: Logger;
    now?: () => number;
    /** Aborted when the hub stops while still starting (see ServerContext.signal). */
    signal?: AbortSignal;
  },
): Promise<Composition> {
  const components = new Map<string, Component>();
  const ready = new Map<string, PromiseWithResolvers<Component>>();
  for (const [name, placement] of placements) {
    if (placement.kind !== 'in-process') continue;
    const pending = Promise.withResolvers<Component>();
    pending.promise.catch(() => {}); // rejected only when startup fails; nobody may be waiting
    ready.set(name, pending);
  }
  const clients = new Set<Client>();

  async function connect(self: string, sibling: string): Promise<Client> {
    const placement = placements.get(sibling);
    if (!placement) throw new Error(`server '${sibling}' is not mounted in this hub`);
    let client: Client;
    if (placement.kind === 'remote') {
      client = new Client({ name: `plexus-${self}-link`, version: '0.1.0' });
      await client.connect(
        new StreamableHTTPClientTransport(new URL(placement.url), {
          requestInit: { headers: placement.headers },
        }),
      );
    } else {
      const component = await (ready.get(sibling) as PromiseWithResolvers<Component>).promise;
      client = await connectInProcess(component.createServer(), {
        authInfo: serviceAuthInfo(self),
        clientInfo: { name: `plexus-${self}-link`, version: '0.1.0' },
      });
    }
    clients.add(client);
    client.onclose = () => clients.delete(client);
    return client;
  }

  async function close(): Promise<void> {
    await Promise.allSettled([...clients].map((c) => c.close()));
    for (const component of [...components.values()].reverse()) {
      await component
        .close()
        .catch((error: unknown) => options.log.error({ err: error }, 'component close failed'));
    }
  }

  try {
    for (const [name, placement] of placements) {
      if (placement.kind !== 'in-process') continue;
      const ctx: ServerContext = {
        dataDir: options.dataDir,
        databaseUrl: options.databaseUrl,
        redisUrl: options.redisUrl,
        log: options.log.child({ server: name }),
        now: options.now ?? Date.now,
        settings: placement.settings,
        connect: (sibling: CoreServerName) => connect(name, sibling),
        signal: options.signal,
      };
      const component = await placement.factory(ctx);
      components.set(name, component);
      ready.get(name)?.resolve(component);
    }
  } catch (error) {
    for (const pending of ready.values()) pending.reject(new Error('composition failed to start'));
    await close();
    throw error;
  }
  return { components, close };
}
