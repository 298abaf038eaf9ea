// `plexus tools publish|search|withdraw` (the registry) and `plexus agent tools install|update|list|remove`
// (the packages this agent's sandbox serves).
import path from 'node:path';
import { parseArgs } from 'node:util';
import { PlexusError } from '../../lib/errors.ts';
import { isRotated } from '../../lib/identity/identity-file.ts';
import { rotationsIn } from '../../lib/identity/key-chain.ts';
import { SigningKeys } from '../../lib/identity/signing-keys.ts';
import { createLogger } from '../../lib/log.ts';
import { signedToolPackage } from '../../sandbox/loader.ts';
import type { ToolView } from '../../schemas/registry/tools.ts';
import { HubSession } from '../hub-session.ts';
import { ensureIdentityRegistered } from '../registration.ts';
import {
  awaitServed,
  installTool,
  listInstalled,
  removeTool,
  toolTarget,
  updateTools,
  type InstallResult,
  type Serving,
  type ToolSource,
  type UpdateResult,
} from '../tool-packages.ts';
import { printer, table, type Column } from '../../lib/cli/output.ts';
import { COMMON, loadIdentity, loadSetup, type Loaded } from './setup.ts';

const OPTIONS = { ...COMMON, json: { type: 'boolean' } } as const;

export const TOOLS_USAGE = `usage: plexus tools <verb> [--dir DIR] [--hub URL] [--json] …

  publish <package-dir> [--capability C …]   sign the package with this agent's identity and upload it
                                             (a new version replaces the published one)
  search  [words…] [--capability C] [--author DID]   published tools, best matches first
  withdraw <name>                            stop offering a tool you published
  install <name> [--author DID]              = plexus agent tools install
  update  [name…]                            = plexus agent tools update
  list                                       = plexus agent tools list
  remove  <name>                             = plexus agent tools remove

plexus agent tools install <name> fetches a package, checks the author's signature (by the author's key
when it was published, from its identity log), the code's SHA-256 and the agent's policy (agent.json
"sandbox": minTrust, grants) and puts it in the agent's tools folder, which its sandbox serves as
sandbox__<name>; when the agent runs, install and update wait until it does.`;

function usageError(message: string, field: string): PlexusError {
  return new PlexusError('invalid', 'config_invalid', message, { field });
}

/** A hub session as this agent, its identity registered (publishing is checked against it). */
async function withHub<T>(setup: Loaded, fn: (session: HubSession) => Promise<T>): Promise<T> {
  const log = createLogger({
    name: 'plexus-tools-cli',
    level: setup.config.logLevel,
    file: path.join(setup.paths.logs, 'cli.log'),
  });
  const identity = await loadIdentity(setup.paths);
  const session = new HubSession({
    hubUrl: setup.hubUrl,
    identity,
    log,
    timeoutMs: setup.config.messageTimeoutMs,
    clientName: 'plexus-tools-cli',
  });
  try {
    await session.open();
    await ensureIdentityRegistered(session, setup.paths.identity, identity, log);
    return await fn(session);
  } finally {
    await session.close();
    log.flush();
  }
}

function sourceOf(session: HubSession): ToolSource {
  return {
    registry: session.servers.registry,
    keys: new SigningKeys({ identity: () => session.servers.identity }),
    trustOf: async (did) => {
      try {
        return (await session.servers.identity.getTrust({ did })).score;
      } catch (error) {
        if (error instanceof PlexusError && error.code === 'did_not_found') return undefined;
        throw error;
      }
    },
  };
}

/** Columns headed by the keys of rows made of strings. */
function byKey<K extends string>(...keys: K[]): Column<Record<K, string>>[] {
  return keys.map((key) => ({ header: key, value: (row) => row[key] }));
}

function toolRow(tool: ToolView): Record<string, string> {
  return {
    name: tool.name,
    version: tool.version,
    kind: tool.kind === 'manifest' ? 'sandbox' : 'mcp-server',
    author: tool.author,
    description: tool.description,
  };
}

async function publish(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { ...OPTIONS, capability: { type: 'string', multiple: true } },
  });
  const dir = positionals[0];
  if (!dir) throw usageError('name the package folder: plexus tools publish <package-dir>', 'package-dir');
  const setup = loadSetup(values.dir, values.hub);
  const identity = await loadIdentity(setup.paths);
  const { tool, created } = await withHub(setup, async (session) => {
    // Signed as it is uploaded: the author's folder is left as it is (a checkout stays clean). After a
    // rotation, the package carries the rotations that lead to the signing key, as the identity log holds them.
    const { manifest, source: code } = await signedToolPackage(dir, {
      did: identity.did,
      secretKey: identity.keys.signing.secretKey,
      keyChain: isRotated(identity)
        ? rotationsIn(await session.servers.identity.getIdentityLog({ did: identity.did }))
        : undefined,
    });
    return session.servers.registry.publishTool({
      manifest,
      code,
      ...(values.capability ? { capabilities: values.capability } : {}),
    });
  });
  printer(values.json).result({ tool, created }, () =>
    [
      `${created ? 'published' : 'updated'} ${tool.name}@${tool.version} (${tool.id})`,
      `  sha256 ${tool.package_sha256}, ${tool.package_bytes} bytes, author ${tool.author}`,
    ].join('\n'),
  );
  return 0;
}

async function search(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      ...OPTIONS,
      capability: { type: 'string' },
      author: { type: 'string' },
      limit: { type: 'string', default: '20' },
    },
  });
  const limit = Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100)
    throw usageError('--limit: must be an integer from 1 to 100', 'limit');
  const setup = loadSetup(values.dir, values.hub);
  const found = await withHub(setup, (session) =>
    session.servers.registry.findTools({
      ...(positionals.length ? { query: positionals.join(' ') } : {}),
      ...(values.capability ? { capability: values.capability } : {}),
      ...(values.author ? { author: values.author } : {}),
      limit,
    }),
  );
  printer(values.json).result(found, () =>
    found.tools.length
      ? `${table(found.tools.map(toolRow), byKey('name', 'version', 'kind', 'author', 'description'))}\n` +
        `${found.tools.length} of ${found.total}`
      : 'no tools found',
  );
  return 0;
}

async function withdraw(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: OPTIONS });
  const name = positionals[0];
  if (!name) throw usageError('name the tool to withdraw', 'name');
  const setup = loadSetup(values.dir, values.hub);
  const identity = await loadIdentity(setup.paths);
  const withdrawn = await withHub(setup, async (session) => {
    const { tools } = await session.servers.registry.findTools({ name, author: identity.did, limit: 1 });
    const tool = tools[0];
    if (!tool)
      throw new PlexusError('not_found', 'tool_not_found', `you have published no tool named '${name}'`, {
        field: 'name',
      });
    return (await session.servers.registry.withdrawTool({ id: tool.id })).withdrawn;
  });
  printer(values.json).result({ withdrawn }, () => `withdrew ${withdrawn.name}@${withdrawn.version}`);
  return 0;
}

async function install(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { ...OPTIONS, author: { type: 'string' } },
  });
  const name = positionals[0];
  if (!name) throw usageError('name the tool to install: plexus agent tools install <name>', 'name');
  const setup = loadSetup(values.dir, values.hub);
  const target = toolTarget(setup.config, setup.paths);
  const result = await withHub(setup, (session) =>
    installTool(sourceOf(session), target, name, values.author),
  );
  // An agent without its default tools runs no sandbox: nothing to wait for.
  const serving = setup.config.defaultTools ? await awaitServed(target, result) : null;
  printer(values.json).result({ ...result, serving }, () =>
    [
      `${result.action} ${result.name}@${result.version} by ${result.author}`,
      ...(result.narrowed.length ? [`  not granted: ${result.narrowed.join('; ')}`] : []),
      `  ${servingLine(result.name, serving, setup.config.defaultTools)}`,
    ].join('\n'),
  );
  return 0;
}

function servingLine(name: string, serving: Serving | null, sandboxed: boolean): string {
  if (!sandboxed) return 'this agent runs no sandbox ("defaultTools": false in agent.json)';
  if (!serving) return `the agent is not running; when it starts, it serves sandbox__${name}`;
  if (serving.state === 'served') return `the running agent serves it as sandbox__${name}`;
  if (serving.state === 'refused')
    return `the running agent refuses it (${serving.code}: ${serving.message}); restart it to apply agent.json`;
  return 'the running agent has not loaded it yet';
}

async function update(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: OPTIONS });
  const setup = loadSetup(values.dir, values.hub);
  const target = toolTarget(setup.config, setup.paths);
  const updated = await withHub(setup, (session) => updateTools(sourceOf(session), target, positionals));
  // As install does: a new version is reported once the running agent serves it (or says why not).
  const results: (UpdateResult | (InstallResult & { serving: Serving | null }))[] = [];
  for (const r of updated) {
    const changed = r.action === 'installed' || r.action === 'updated';
    const serving = changed && setup.config.defaultTools ? await awaitServed(target, r) : null;
    results.push(changed ? { ...r, serving } : r);
  }
  printer(values.json).result({ results }, () =>
    results.length
      ? results
          .map((r) =>
            r.action === 'failed'
              ? `${r.name}: kept the installed version (${r.code}: ${r.message})`
              : r.action === 'withdrawn'
                ? `${r.name}: withdrawn by its author; removed`
                : 'serving' in r
                  ? `${r.name}: ${r.action} (${r.version})\n  ${servingLine(r.name, r.serving, setup.config.defaultTools)}`
                  : `${r.name}: ${r.action} (${r.version})`,
          )
          .join('\n')
      : 'no tools installed from the registry',
  );
  return results.some((r) => r.action === 'failed') ? 1 : 0;
}

async function list(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: OPTIONS });
  const setup = loadSetup(values.dir, values.hub);
  const installed = await listInstalled(toolTarget(setup.config, setup.paths));
  printer(values.json).result(installed, () => {
    const rows = installed.tools.map((t) => ({
      name: t.name,
      version: t.version,
      author: t.author,
      'not granted': t.narrowed.join('; '),
    }));
    const refused = installed.failures.map((f) => `refused ${path.basename(f.dir)}: ${f.code}: ${f.message}`);
    return [
      rows.length ? table(rows, byKey('name', 'version', 'author', 'not granted')) : 'no tools installed',
      ...refused,
    ].join('\n');
  });
  return 0;
}

function remove(argv: string[]): number {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: OPTIONS });
  const name = positionals[0];
  if (!name) throw usageError('name the tool to remove', 'name');
  const setup = loadSetup(values.dir, values.hub);
  if (!removeTool(toolTarget(setup.config, setup.paths), name))
    throw new PlexusError('not_found', 'tool_not_installed', `'${name}' is not installed`, { field: 'name' });
  printer(values.json).result({ removed: name }, () => `removed ${name}`);
  return 0;
}

/** The agent's own packages: `plexus agent tools <verb>`. */
export const AGENT_TOOL_VERBS: Record<string, (argv: string[]) => number | Promise<number>> = {
  install,
  update,
  list,
  remove,
};

/** `plexus tools <verb>`. */
export const TOOL_VERBS: Record<string, (argv: string[]) => number | Promise<number>> = {
  publish,
  search,
  withdraw,
  ...AGENT_TOOL_VERBS,
};
