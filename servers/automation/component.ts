import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { LocalTools } from '../../lib/mcp/local-tools.ts';
import { McpServerEntry } from '../../schemas/mcp-servers.ts';
import type { Logger } from '../../lib/log.ts';
import { BackgroundTasks } from '../../lib/mcp/background-tasks.ts';
import type { ComponentFactory } from '../../lib/mcp/component.ts';
import { parseOrThrow } from '../../schemas/common.ts';
import { AutomationSettings } from '../../schemas/automation/tools.ts';
import { z } from 'zod';
import { Automation } from './domain/automation.ts';
import { openSqliteAutomationStore } from './domain/store-sqlite.ts';
import { siblingInvoker } from './invoker.ts';
import { buildServer } from './server.ts';

/** run_workflow calls that run in the background as MCP tasks, shared by every server instance. */
export function workflowTasks(
  settings: AutomationSettings,
  ctx: { now: () => number; log: Logger },
): BackgroundTasks {
  return new BackgroundTasks(['run_workflow'], settings.mcp_tasks, ctx);
}

/**
 * Workflows call the tool servers in `settings.mcpServers`, started here, and the servers mounted beside
 * this one (in the hub, the hub's own servers).
 */
export const component: ComponentFactory = async (ctx) => {
  const settings = parseOrThrow(AutomationSettings, ctx.settings ?? {}, 'automation settings');
  const servers = parseOrThrow(
    z.record(z.string(), McpServerEntry),
    settings.mcpServers,
    'automation settings.mcpServers',
  );
  const tools = new LocalTools(ctx.log);
  await tools.start(servers, 30_000, ctx.signal);
  const store = openSqliteAutomationStore(join(ctx.dataDir, 'automation.db'), ctx.log);
  const automation = new Automation({
    store,
    invoker: siblingInvoker({
      self: 'automation',
      local: tools.toolsWith(() => null),
      localNames: tools.names,
      connect: (name) => ctx.connect(name),
    }),
    settings,
    now: ctx.now,
    log: ctx.log,
  });
  const tasks = workflowTasks(settings, ctx);
  return {
    createServer: () => buildServer({ automation, tasks, log: ctx.log }),
    close: async () => {
      tasks.close();
      automation.close();
      await tools.close();
      store.close();
    },
  };
};

/** `plexus serve automation --servers <file.json>`: a file with an `mcpServers` map (Claude Desktop format). */
export function settingsFromArgs(argv: string[]): unknown {
  const { values } = parseArgs({ args: argv, options: { servers: { type: 'string' } } });
  if (!values.servers) return {};
  const file = JSON.parse(readFileSync(values.servers, 'utf8')) as { mcpServers?: unknown };
  return { mcpServers: file.mcpServers ?? {} };
}
