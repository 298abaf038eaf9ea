import type { AuthInfo } from '@modelcontextprotocol/server';
import type { Client } from '@modelcontextprotocol/client';
import type { Logger } from '../log.ts';
import { DELEGATE_SCOPE } from './caller.ts';
import type { Component, ComponentFactory, CoreServerName, ServerContext } from './component.ts';
import { authInfoFor, connectInProcess } from './in-process.ts';

/**
 * The scopes of the in-process service principal: it may act for callers (delegate) and holds every scope,
 * so what a delegated caller can do is decided by the scopes it names (which can only narrow).
 */
export const SERVICE_SCOPES = [DELEGATE_SCOPE, 'read', 'write', 'admin'];

export function serviceAuthInfo(name: string): AuthInfo {
  return authInfoFor(`service:${name}`, SERVICE_SCOPES);
}

export interface LocalComposition {
  components: ReadonlyMap<CoreServerName, Component>;
  /** A new MCP session to a component, every request carrying `authInfo` (default: the hub's service principal). */
  connect(name: CoreServerName, authInfo?: AuthInfo): Promise<Client>;
  close(): Promise<void>;
}

export interface LocalCompositionOptions {
  dataDir: string;
  databaseUrl?: string | undefined;
  redisUrl?: string | undefined;
  log: Logger;
  now?: () => number;
  settings?: Partial<Record<CoreServerName, unknown>>;
}

/**
 * Starts components in one process, in the order given, wiring `ctx.connect` between them. A component may
 * connect to a sibling that starts later: the connection waits until that sibling is up.
 */
export async function composeInProcess(
  factories: Partial<Record<CoreServerName, ComponentFactory>>,
  options: LocalCompositionOptions,
): Promise<LocalComposition> {
  const components = new Map<CoreServerName, Component>();
  const ready = new Map<CoreServerName, PromiseWithResolvers<Component>>();
  for (const name of Object.keys(factories) as CoreServerName[]) ready.set(name, Promise.withResolvers());
  const clients = new Set<Client>();

  async function connect(name: string, authInfo?: AuthInfo): Promise<Client> {
    const pending = ready.get(name as CoreServerName);
    if (!pending) throw new Error(`server '${name}' is not part of this composition`);
    const component = await pending.promise;
    const client = await connectInProcess(component.createServer(), {
      authInfo: authInfo ?? serviceAuthInfo('hub'),
      clientInfo: { name: `plexus-${name}-link`, version: '0.1.0' },
    });
    clients.add(client);
    client.onclose = () => clients.delete(client);
    return client;
  }

  async function close(): Promise<void> {
    await Promise.allSettled([...clients].map((c) => c.close()));
    for (const component of [...components.values()].reverse()) await component.close();
  }

  try {
    for (const [name, factory] of Object.entries(factories) as [CoreServerName, ComponentFactory][]) {
      const ctx: ServerContext = {
        dataDir: options.dataDir,
        databaseUrl: options.databaseUrl,
        redisUrl: options.redisUrl,
        log: options.log.child({ server: name }),
        now: options.now ?? Date.now,
        settings: options.settings?.[name],
        connect: (sibling) => connect(sibling, serviceAuthInfo(name)),
      };
      const component = await factory(ctx);
      components.set(name, component);
      ready.get(name)?.resolve(component);
    }
  } catch (error) {
    await close();
    throw error;
  }
  return { components, connect, close };
}
