import type { ComponentFactory } from '../lib/mcp/component.ts';

/** What a server's `component.ts` exports. */
export interface ComponentModule {
  component: ComponentFactory;
  /** Server-specific `plexus serve <name>` arguments → its settings section. */
  settingsFromArgs?(argv: string[]): unknown;
}

/**
 * Every server Plexus can run, by name, imported only when used. `core` servers are the network's own
 * (mounted by the hub by default); the others are local tool servers an operator mounts explicitly.
 */
export const SERVER_CATALOG: Record<string, { core: boolean; load: () => Promise<ComponentModule> }> = {
  // Core servers, in start order (a server's siblings it talks to at startup come before it).
  identity: { core: true, load: () => import('./identity/component.ts') },
  router: { core: true, load: () => import('./router/component.ts') },
  registry: { core: true, load: () => import('./registry/component.ts') },
  memory: { core: true, load: () => import('./memory/component.ts') },
  llm: { core: true, load: () => import('./llm/component.ts') },
  // Local tool servers: mounted only when configured.
  system: { core: false, load: () => import('./system/component.ts') },
  web: { core: false, load: () => import('./web/component.ts') },
  automation: { core: false, load: () => import('./automation/component.ts') },
  sandbox: { core: false, load: () => import('../sandbox/component.ts') },
};

export function catalogNames(): string[] {
  return Object.keys(SERVER_CATALOG);
}

export function coreServerNames(): string[] {
  return Object.entries(SERVER_CATALOG)
    .filter(([, entry]) => entry.core)
    .map(([name]) => name);
}

export async function loadServer(name: string): Promise<ComponentModule> {
  const entry = SERVER_CATALOG[name];
  if (!entry) {
    throw new Error(`unknown server '${name}'; known: ${catalogNames().join(', ')}`);
  }
  return entry.load();
}
