import type {
  Client,
  Implementation,
  Prompt,
  Resource,
  ResourceTemplateType,
  ServerCapabilities,
  Tool,
} from '@modelcontextprotocol/client';

/** Everything an upstream offers, as last listed. */
export interface Catalog {
  serverInfo: Implementation;
  capabilities: ServerCapabilities;
  instructions: string | undefined;
  tools: Tool[];
  prompts: Prompt[];
  resources: Resource[];
  resourceTemplates: ResourceTemplateType[];
}
export type CatalogKind = 'tools' | 'prompts' | 'resources';

type ListKey = 'tools' | 'prompts' | 'resources' | 'resourceTemplates';

const LIST_METHODS = {
  tools: 'tools/list',
  prompts: 'prompts/list',
  resources: 'resources/list',
  resourceTemplates: 'resources/templates/list',
} as const;

/** How long each listing request may take, and what cancels it. */
export interface ListOptions {
  timeout: number;
  signal?: AbortSignal;
}

/** Every page of one list. */
export async function listAll<K extends ListKey>(
  client: Client,
  key: K,
  options: ListOptions,
): Promise<Catalog[K]> {
  const items: unknown[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 1000; page++) {
    const result = (await client.request(
      { method: LIST_METHODS[key], params: cursor ? { cursor } : {} },
      options,
    )) as unknown as Record<string, unknown> & { nextCursor?: string };
    items.push(...(result[key] as unknown[]));
    cursor = result.nextCursor;
    if (!cursor) break;
  }
  return items as Catalog[K];
}

/** The whole catalog of a connected client's server. */
export async function listCatalog(
  client: Client,
  fallbackName: string,
  options: ListOptions,
): Promise<Catalog> {
  const capabilities = client.getServerCapabilities() ?? {};
  return {
    serverInfo: client.getServerVersion() ?? { name: fallbackName, version: '0' },
    capabilities,
    instructions: client.getInstructions(),
    tools: capabilities.tools ? await listAll(client, 'tools', options) : [],
    prompts: capabilities.prompts ? await listAll(client, 'prompts', options) : [],
    resources: capabilities.resources ? await listAll(client, 'resources', options) : [],
    resourceTemplates: capabilities.resources ? await listAll(client, 'resourceTemplates', options) : [],
  };
}

/** Lists again what changed. */
export async function relist(
  client: Client,
  catalog: Catalog,
  kinds: CatalogKind[],
  options: ListOptions,
): Promise<Catalog> {
  const next: Catalog = { ...catalog };
  if (kinds.includes('tools')) next.tools = await listAll(client, 'tools', options);
  if (kinds.includes('prompts')) next.prompts = await listAll(client, 'prompts', options);
  if (kinds.includes('resources')) {
    next.resources = await listAll(client, 'resources', options);
    next.resourceTemplates = await listAll(client, 'resourceTemplates', options);
  }
  return next;
}

export function changedKinds(a: Catalog, b: Catalog): CatalogKind[] {
  const kinds: CatalogKind[] = [];
  const same = (x: unknown, y: unknown) => JSON.stringify(x) === JSON.stringify(y);
  if (!same(a.tools, b.tools)) kinds.push('tools');
  if (!same(a.prompts, b.prompts)) kinds.push('prompts');
  if (!same(a.resources, b.resources) || !same(a.resourceTemplates, b.resourceTemplates))
    kinds.push('resources');
  return kinds;
}
