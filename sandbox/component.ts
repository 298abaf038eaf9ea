import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { identityClient } from '../lib/clients/identity.ts';
import type { Logger } from '../lib/log.ts';
import type { Component, ComponentFactory, ServerContext } from '../lib/mcp/component.ts';
import { parseOrThrow } from '../schemas/common.ts';
import { SandboxSettings, type SandboxSettingsInput } from '../schemas/sandbox/tool-package.ts';
import { listChangeFeed } from '../lib/mcp/change-feed.ts';
import { privateKvFile } from './kv-file.ts';
import { servingFile, writeServing } from './serving.ts';
import { buildServer } from './server.ts';
import { Supervisor } from './supervisor.ts';
import { ToolRegistry } from './tool-registry.ts';

export interface SandboxDeps {
  dataDir: string;
  log: Logger;
  now?: () => number;
  /** The author's trust score, asked when the policy sets minTrust. */
  trustOf?: (did: string) => Promise<number | undefined>;
  /** Static DNS answers for the fetch capability (tests). */
  hosts?: Record<string, string[]>;
}

export interface Sandbox extends Component {
  registry: ToolRegistry;
  supervisor: Supervisor;
}

/**
 * A running sandbox: worker pool, the tools folder (loaded, and watched when settings.watch), and a factory
 * for MCP servers over them. Resolves once the tools are loaded and the workers are up.
 */
export async function createSandbox(input: SandboxSettingsInput, deps: SandboxDeps): Promise<Sandbox> {
  const settings = parseOrThrow(SandboxSettings, input, 'sandbox settings');
  const toolsDir = path.resolve(settings.toolsDir);
  const kvPath = path.resolve(deps.dataDir, 'sandbox', 'kv.sqlite');
  for (const file of privateKvFile(kvPath)) {
    deps.log.warn({ file }, 'sandbox kv store was readable by other users; made it owner-only');
  }
  const supervisor = new Supervisor({
    workers: settings.workers,
    maxQueue: settings.maxQueue,
    workerMemoryMb: settings.workerMemoryMb,
    log: deps.log,
    worker: {
      kvPath,
      hosts: deps.hosts ?? {},
      fetchMaxBytes: 4 * 1024 * 1024,
      fetchTimeoutMs: 15_000,
    },
  });
  const registry = new ToolRegistry(toolsDir, {
    policy: settings.policy,
    workspace: path.join(deps.dataDir, 'sandbox', 'workspace'),
    ...(deps.trustOf ? { trustOf: deps.trustOf } : {}),
    log: deps.log,
    debounceMs: settings.reloadDebounceMs,
  });
  const serving = servingFile(deps.dataDir);
  const tellServing = (): void => {
    try {
      writeServing(serving, registry);
    } catch (error) {
      deps.log.warn({ err: error, file: serving }, 'could not write what the sandbox serves');
    }
  };
  registry.onChange(tellServing);
  try {
    await registry.reload();
    tellServing();
    if (settings.watch) registry.watch();
    await supervisor.ready();
  } catch (error) {
    await registry.close();
    await supervisor.close();
    throw error;
  }
  const now = deps.now ?? Date.now;
  return {
    registry,
    supervisor,
    createServer: () =>
      buildServer({ registry, supervisor, log: deps.log, outputBytes: settings.outputBytes, now }),
    changes: listChangeFeed(['tools'], (listener) => registry.onChange(() => listener('tools'))),
    close: async () => {
      await registry.close();
      await supervisor.close();
    },
  };
}

/** Trust scores from the identity server's get_trust, for policies with minTrust. */
function identityTrust(ctx: ServerContext): (did: string) => Promise<number | undefined> {
  return async (did) => {
    try {
      return (await identityClient(await ctx.connect('identity')).getTrust({ did })).score;
    } catch (error) {
      ctx.log.warn({ err: error, did }, 'trust lookup failed; treating the author as untrusted');
      return undefined;
    }
  };
}

export const component: ComponentFactory = async (ctx) =>
  createSandbox(parseOrThrow(SandboxSettings, ctx.settings ?? {}, 'sandbox settings'), {
    dataDir: ctx.dataDir,
    log: ctx.log,
    now: ctx.now,
    trustOf: identityTrust(ctx),
  });

/** `plexus serve sandbox --tools <dir> [--policy <policy.json>] [--workers N] [--no-watch]`. */
export function settingsFromArgs(argv: string[]): unknown {
  const { values } = parseArgs({
    args: argv,
    options: {
      tools: { type: 'string' },
      policy: { type: 'string' },
      workers: { type: 'string' },
      'no-watch': { type: 'boolean' },
    },
  });
  if (!values.tools) throw new Error('sandbox needs --tools <dir>');
  const policy: unknown = values.policy ? JSON.parse(readFileSync(values.policy, 'utf8')) : undefined;
  return {
    toolsDir: values.tools,
    ...(policy !== undefined ? { policy } : {}),
    ...(values.workers !== undefined ? { workers: Number(values.workers) } : {}),
    ...(values['no-watch'] ? { watch: false } : {}),
  };
}
