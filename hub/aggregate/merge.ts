import type { Prompt, Resource, ResourceTemplateType, Tool } from '@modelcontextprotocol/server';
import type { Catalog } from '../upstream/upstream.ts';

/** The strictest tool-name pattern common clients accept. */
export const PUBLIC_NAME_PATTERN = /^[a-zA-Z0-9_-]{1,64}$/;
export const NAME_SEPARATOR = '__';

/** What the merge needs from a mounted upstream. */
export interface MountedSource {
  name: string;
  catalog: Catalog | null;
  /** Extra resource URI prefixes routed to it (from config). */
  resourcePrefixes: readonly string[];
}

export interface Entry<T, S extends MountedSource> {
  source: S;
  /** The name the upstream knows. */
  original: string;
  /** The item as clients see it (public name). */
  item: T;
}

export interface MergedCatalog<S extends MountedSource> {
  tools: Map<string, Entry<Tool, S>>;
  prompts: Map<string, Entry<Prompt, S>>;
  resources: Map<string, Entry<Resource, S>>;
  resourceTemplates: Entry<ResourceTemplateType, S>[];
  /** URI prefix → source, longest first. */
  prefixes: { prefix: string; source: S; what: string }[];
}

export class CatalogConflictError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`conflicting names in the mounted servers:\n  ${problems.join('\n  ')}`);
    this.name = 'CatalogConflictError';
    this.problems = problems;
  }
}

/** Static part of a URI template: everything before the first expression. */
export function templatePrefix(uriTemplate: string): string {
  const brace = uriTemplate.indexOf('{');
  return brace === -1 ? uriTemplate : uriTemplate.slice(0, brace);
}

/**
 * Merges upstream catalogs into one view. With `prefixed`, tools, prompts, resource and template names become
 * `<server>__<name>`; resources keep their URIs and are routed by exact URI, then by the longest URI prefix
 * (template static parts and configured prefixes). Every clash, and every public name over 64 characters or
 * outside the allowed characters, is reported naming its sources; `problems` is empty when the view is sound.
 */
export function mergeCatalogs<S extends MountedSource>(
  sources: readonly S[],
  prefixed: boolean,
): { merged: MergedCatalog<S>; problems: string[] } {
  const problems: string[] = [];
  const merged: MergedCatalog<S> = {
    tools: new Map(),
    prompts: new Map(),
    resources: new Map(),
    resourceTemplates: [],
    prefixes: [],
  };
  const publicName = (source: S, name: string) =>
    prefixed ? `${source.name}${NAME_SEPARATOR}${name}` : name;
  const describe = (source: S, kind: string, name: string) => `server '${source.name}' ${kind} '${name}'`;

  function addNamed<T extends { name: string }>(
    map: Map<string, Entry<T, S>>,
    kind: string,
    source: S,
    item: T,
  ) {
    const name = publicName(source, item.name);
    if (name.length > 64) {
      problems.push(
        `${kind} name '${name}' from ${describe(source, kind, item.name)} is ${name.length} characters (limit 64)`,
      );
      return;
    }
    if (kind === 'tool' && !PUBLIC_NAME_PATTERN.test(name)) {
      problems.push(
        `${kind} name '${name}' from ${describe(source, kind, item.name)} has characters outside [a-zA-Z0-9_-]`,
      );
      return;
    }
    const existing = map.get(name);
    if (existing) {
      problems.push(
        `${kind} name '${name}' collides: ${describe(existing.source, kind, existing.original)} and ${describe(source, kind, item.name)}`,
      );
      return;
    }
    map.set(name, { source, original: item.name, item: { ...item, name } });
  }

  const templateNames = new Map<string, Entry<ResourceTemplateType, S>>();
  const prefixOwners = new Map<string, { source: S; what: string }>();
  function addPrefix(prefix: string, source: S, what: string) {
    if (!prefix) return;
    const owner = prefixOwners.get(prefix);
    if (owner && owner.source !== source) {
      problems.push(
        `resource prefix '${prefix}' collides: server '${owner.source.name}' ${owner.what} and server '${source.name}' ${what}`,
      );
      return;
    }
    prefixOwners.set(prefix, { source, what });
  }

  for (const source of sources) {
    const catalog = source.catalog;
    if (!catalog) continue;
    for (const tool of catalog.tools) addNamed(merged.tools, 'tool', source, tool);
    for (const prompt of catalog.prompts) addNamed(merged.prompts, 'prompt', source, prompt);
    for (const resource of catalog.resources) {
      const existing = merged.resources.get(resource.uri);
      if (existing && existing.source !== source) {
        problems.push(
          `resource '${resource.uri}' collides: server '${existing.source.name}' and server '${source.name}'`,
        );
        continue;
      }
      merged.resources.set(resource.uri, {
        source,
        original: resource.name,
        item: { ...resource, name: publicName(source, resource.name) },
      });
    }
    for (const template of catalog.resourceTemplates) {
      const name = publicName(source, template.name);
      const clash = templateNames.get(name);
      if (clash) {
        problems.push(
          `resource template name '${name}' collides: server '${clash.source.name}' and server '${source.name}'`,
        );
        continue;
      }
      const entry = { source, original: template.name, item: { ...template, name } };
      templateNames.set(name, entry);
      merged.resourceTemplates.push(entry);
      addPrefix(templatePrefix(template.uriTemplate), source, `template '${template.uriTemplate}'`);
    }
    for (const prefix of source.resourcePrefixes) addPrefix(prefix, source, 'configured prefix');
  }
  merged.prefixes = [...prefixOwners]
    .map(([prefix, { source, what }]) => ({ prefix, source, what }))
    .sort((a, b) => b.prefix.length - a.prefix.length);
  return { merged, problems };
}

/** The source serving a resource URI: exact listing first, then the longest matching prefix. */
export function routeResource<S extends MountedSource>(merged: MergedCatalog<S>, uri: string): S | undefined {
  const exact = merged.resources.get(uri);
  if (exact) return exact.source;
  return merged.prefixes.find((p) => uri.startsWith(p.prefix))?.source;
}
