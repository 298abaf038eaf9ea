import type { MergedCatalog, MountedSource } from './merge.ts';

/** The prefix of a virtual server's view name: mount names never hold a slash, so the two cannot clash. */
export const VIRTUAL_PREFIX = 'v/';

/** The view name of virtual server `name` (served at `/mcp/v/<name>`). */
export function virtualView(name: string): string {
  return `${VIRTUAL_PREFIX}${name}`;
}

/** The virtual server a view name stands for, or null for the aggregate and single-server views. */
export function virtualName(view: string | null): string | null {
  return view?.startsWith(VIRTUAL_PREFIX) ? view.slice(VIRTUAL_PREFIX.length) : null;
}

/** What the operator switched off: whole servers by mount name, single tools by `<server>__<tool>`. */
export interface Switches {
  servers: ReadonlySet<string>;
  tools: ReadonlySet<string>;
}

/** The public aggregate name of a tool, whatever view it is listed in. */
export function qualifiedTool(server: string, tool: string): string {
  return `${server}__${tool}`;
}

/** A view without the tools the switches turned off (everything else of it kept as is). */
export function withoutDisabled<S extends MountedSource>(
  merged: MergedCatalog<S>,
  switches: Switches,
): MergedCatalog<S> {
  if (switches.tools.size === 0) return merged;
  const tools = new Map(
    [...merged.tools].filter(
      ([, entry]) => !switches.tools.has(qualifiedTool(entry.source.name, entry.original)),
    ),
  );
  return { ...merged, tools };
}

/** A virtual server's view: only the chosen aggregate tools, and no prompts or resources. */
export function onlyTools<S extends MountedSource>(
  merged: MergedCatalog<S>,
  chosen: ReadonlySet<string>,
): MergedCatalog<S> {
  return {
    tools: new Map([...merged.tools].filter(([name]) => chosen.has(name))),
    prompts: new Map(),
    resources: new Map(),
    resourceTemplates: [],
    prefixes: [],
  };
}
