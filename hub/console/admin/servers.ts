import type { Request, Response } from 'express';
import { SERVER_CATALOG } from '../../../servers/catalog.ts';
import { ExternalServerEntry, MountName } from '../../config.ts';
import { applySettings } from '../apply.ts';
import type { ConsoleDeps } from '../deps.ts';
import type { Viewer } from '../layout.ts';
import { back, field, FormError } from './form.ts';

/** POST /console/admin/switch: a mounted server, or one of its tools, off or on again. */
export async function switchServerOrTool(
  req: Request,
  res: Response,
  viewer: Viewer,
  deps: ConsoleDeps,
): Promise<void> {
  const kind = field(req, 'kind');
  const name = field(req, 'name');
  const enabled = field(req, 'enabled') === 'true';
  if (kind !== 'server' && kind !== 'tool') throw new FormError('kind: must be server or tool');
  const server = kind === 'server' ? name : (name.split('__')[0] ?? '');
  const mount = deps.aggregator.mounts.get(server);
  if (!mount) throw new FormError(`No server named '${server}' is mounted`);
  if (kind === 'tool' && !mount.catalog?.tools.some((t) => `${server}__${t.name}` === name)) {
    throw new FormError(`Server '${server}' has no tool '${name.slice(server.length + 2)}'`);
  }
  const key = kind === 'server' ? 'disabledServers' : 'disabledTools';
  await deps.settings.update((draft) => {
    const rest = draft[key].filter((n) => n !== name);
    draft[key] = enabled ? rest : [...rest, name];
  });
  applySettings(deps.aggregator, deps.config, deps.settings);
  await deps.audit.record(viewer, enabled ? `${kind}_enabled` : `${kind}_disabled`, name);
  const page = kind === 'server' ? '/console/servers' : `/console/servers/${encodeURIComponent(server)}`;
  back(res, page, { done: `${name} is ${enabled ? 'enabled' : 'disabled'}.` });
}

/** POST /console/admin/mount: an MCP server by URL (streamable HTTP) or by command (stdio), kept for restarts. */
export async function mountServer(
  req: Request,
  res: Response,
  viewer: Viewer,
  deps: ConsoleDeps,
): Promise<void> {
  const name = field(req, 'name');
  const url = field(req, 'url');
  const command = field(req, 'command');
  const scope = field(req, 'scope') || 'write';
  const checkedName = MountName.safeParse(name);
  if (!checkedName.success) throw new FormError(`Name: ${checkedName.error.issues[0]?.message}`);
  if (deps.aggregator.mounts.has(name) || name in deps.config.mcpServers || name in deps.config.servers) {
    throw new FormError(`Name: a server named '${name}' is mounted already`);
  }
  if ((url === '') === (command === '')) throw new FormError('Give either a URL or a command, not both');
  const [program = '', ...args] = command.split(/\s+/).filter(Boolean);
  const raw = url ? { url, scope } : { command: program, args, scope };
  const entry = ExternalServerEntry.safeParse(raw);
  if (!entry.success) {
    const issue = entry.error.issues[0];
    throw new FormError(`${url ? 'URL' : 'Command'}: ${issue?.message ?? 'not valid'}`);
  }
  await deps.settings.update((draft) => {
    draft.mcpServers[name] = entry.data;
  });
  await deps.mountServer(name, entry.data);
  await deps.audit.record(viewer, 'server_mounted', name, url ? { url } : { command });
  back(res, '/console/servers', { done: `${name} is mounted; its tools join /mcp once it is up.` });
}

/**
 * POST /console/admin/unmount: takes out a server mounted in the console (console.json). The network's core
 * servers stay; one plexus.json mounts is unmounted there, where it would come back from at the next start.
 */
export async function unmountServer(
  req: Request,
  res: Response,
  viewer: Viewer,
  deps: ConsoleDeps,
): Promise<void> {
  const name = field(req, 'name');
  if (!deps.aggregator.mounts.has(name)) throw new FormError(`No server named '${name}' is mounted`);
  if (SERVER_CATALOG[name]?.core) {
    throw new FormError(
      `${name} is a core server of the network; it cannot be unmounted (disable it instead)`,
    );
  }
  if (!(name in deps.settings.data.mcpServers)) {
    throw new FormError(`${name} is mounted by plexus.json; remove it there`);
  }
  await deps.settings.update((draft) => {
    delete draft.mcpServers[name];
    draft.disabledServers = draft.disabledServers.filter((n) => n !== name);
    draft.disabledTools = draft.disabledTools.filter((n) => !n.startsWith(`${name}__`));
  });
  applySettings(deps.aggregator, deps.config, deps.settings);
  await deps.aggregator.remove(name);
  await deps.audit.record(viewer, 'unmount', name);
  back(res, '/console/servers', { done: `${name} is unmounted; its tools left /mcp.` });
}
