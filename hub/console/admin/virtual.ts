import type { Request, Response } from 'express';
import { VirtualServerEntry, VirtualServerName } from '../../config.ts';
import { applySettings } from '../apply.ts';
import type { ConsoleDeps } from '../deps.ts';
import type { Viewer } from '../layout.ts';
import { back, field, fields, FormError } from './form.ts';

const PAGE = '/console/virtual';

/** POST /console/admin/virtual: a new virtual server of the chosen tools, served at /mcp/v/<name>. */
export async function createVirtual(
  req: Request,
  res: Response,
  viewer: Viewer,
  deps: ConsoleDeps,
): Promise<void> {
  const name = field(req, 'name');
  const description = field(req, 'description');
  const tools = [...new Set(fields(req, 'tools'))];
  const checkedName = VirtualServerName.safeParse(name);
  if (!checkedName.success) throw new FormError(`Name: ${checkedName.error.issues[0]?.message}`);
  if (deps.aggregator.virtualServers.has(name))
    throw new FormError(`Name: a virtual server named '${name}' exists`);
  if (tools.length === 0) throw new FormError('Tools: choose at least one');
  const known = deps.aggregator.view(null).tools;
  const unknown = tools.filter((tool) => !known.has(tool));
  if (unknown.length) throw new FormError(`Tools: no tool named ${unknown.join(', ')} is served at /mcp`);
  const entry = VirtualServerEntry.safeParse({ tools, ...(description ? { description } : {}) });
  if (!entry.success) throw new FormError(`Tools: ${entry.error.issues[0]?.message}`);
  await deps.settings.update((draft) => {
    draft.virtualServers[name] = entry.data;
  });
  applySettings(deps.aggregator, deps.config, deps.settings);
  await deps.audit.record(viewer, 'virtual_server_created', name, { tools });
  back(res, PAGE, { done: `${name} serves ${tools.length} tool(s) at ${deps.publicUrl}/mcp/v/${name}` });
}

/** POST /console/admin/virtual/delete. */
export async function deleteVirtual(
  req: Request,
  res: Response,
  viewer: Viewer,
  deps: ConsoleDeps,
): Promise<void> {
  const name = field(req, 'name');
  if (name in deps.config.virtualServers)
    throw new FormError(`${name} is defined in plexus.json; remove it there`);
  if (!(name in deps.settings.data.virtualServers)) throw new FormError(`No virtual server named '${name}'`);
  await deps.settings.update((draft) => {
    delete draft.virtualServers[name];
  });
  applySettings(deps.aggregator, deps.config, deps.settings);
  await deps.audit.record(viewer, 'virtual_server_deleted', name);
  back(res, PAGE, { done: `${name} is deleted.` });
}
