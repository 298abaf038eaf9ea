// Sandboxed tool packages an agent installs from the registry: fetched, checked, and placed where its sandbox
// serves them.
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { RegistryClient } from '../lib/clients/registry.ts';
import { ed25519FromMultibase } from '../lib/identity/identity-log.ts';
import type { SigningKeys } from '../lib/identity/signing-keys.ts';
import { invalid, PlexusError } from '../lib/errors.ts';
import {
  loadToolPackage,
  loadToolsDir,
  signingKeyOf,
  type LoadedTool,
  type LoadFailure,
} from '../sandbox/loader.ts';
import { readServing, servingFile } from '../sandbox/serving.ts';
import { formatZodError } from '../schemas/common.ts';
import { MANIFEST_FILE, SandboxToolManifest, type SandboxPolicy } from '../schemas/sandbox/tool-package.ts';
import type { ToolView } from '../schemas/registry/tools.ts';
import { ToolName } from '../schemas/tool-manifest.ts';
import type { AgentConfig, AgentPaths } from './config.ts';

/** Beside each installed package: where it came from, so `update` finds it again. */
const ORIGIN_FILE = 'installed-from.json';
const Origin = z.object({ id: z.string(), sha256: z.string(), installedAt: z.number() });
type Origin = z.infer<typeof Origin>;

export interface ToolTarget {
  toolsDir: string;
  policy: SandboxPolicy;
  /** What the agent's sandbox, when it runs, says it serves. */
  servingFile: string;
}

/** Where the registry is, authors' keys and how much the agent trusts an author (the hub's identity server). */
export interface ToolSource {
  registry: Pick<RegistryClient, 'findTools' | 'getToolPackage'>;
  /** Authors' signing keys from their identity logs. */
  keys: Pick<SigningKeys, 'signedBy'>;
  trustOf: (did: string) => Promise<number | undefined>;
}

/** The data dir of the agent's sandbox (its kv store, the workspace, what it serves). */
export function sandboxDataDir(paths: AgentPaths): string {
  return path.join(paths.storage, 'sandbox');
}

/** The policy the agent's sandbox applies: agent.json's, with its workspace under the agent's storage. */
export function sandboxPolicy(config: AgentConfig, paths: AgentPaths): SandboxPolicy {
  const policy = config.sandbox.policy;
  return { ...policy, workspace: policy.workspace ?? path.join(sandboxDataDir(paths), 'workspace') };
}

export function toolTarget(config: AgentConfig, paths: AgentPaths): ToolTarget {
  return {
    toolsDir: paths.tools,
    policy: sandboxPolicy(config, paths),
    servingFile: servingFile(sandboxDataDir(paths)),
  };
}

export interface Installed {
  name: string;
  version: string;
  author: string;
  /** Registry id; null for a package put in the folder by hand. */
  id: string | null;
  sha256: string;
  /** What the grant left out of what the tool asked for. */
  narrowed: string[];
}

function installedOf(tool: LoadedTool, origin: Origin | null): Installed {
  return {
    name: tool.manifest.name,
    version: tool.manifest.version,
    author: tool.manifest.author,
    id: origin?.id ?? null,
    sha256: tool.manifest.entrySha256,
    narrowed: tool.grant.narrowed,
  };
}

function readOrigin(dir: string): Origin | null {
  try {
    return Origin.parse(JSON.parse(fs.readFileSync(path.join(dir, ORIGIN_FILE), 'utf8')));
  } catch {
    return null;
  }
}

/** The one published sandboxed tool named `name` (by `author` when several authors use the name). */
async function findPublished(source: ToolSource, name: string, author?: string): Promise<ToolView> {
  const { tools } = await source.registry.findTools({
    name,
    kind: 'manifest',
    ...(author ? { author } : {}),
    limit: 100,
  });
  const [first, ...others] = tools;
  if (!first)
    throw new PlexusError(
      'not_found',
      'tool_not_found',
      `no tool named '${name}'${author ? ` by ${author}` : ''} is published`,
      { hint: 'search with: plexus tools search <words>', field: 'name' },
    );
  if (others.length)
    throw new PlexusError(
      'conflict',
      'tool_ambiguous',
      `several authors publish '${name}': ${tools.map((t) => t.author).join(', ')}`,
      { hint: 'pick one with --author <did>', field: 'author' },
    );
  return first;
}

/**
 * Fetches a package into a hidden folder beside the installed ones and checks it as the sandbox will: the
 * author's signature over the manifest, the code against the signed SHA-256, the author's trust and the
 * grants of the agent's policy; and, what the sandbox cannot check offline, that the signing key was the
 * author's key when the registry took the package (its identity log: the current key, or a retired one only
 * for a package taken before that rotation was recorded; nothing of a revoked author). Returns the folder and
 * what was loaded; the folder is removed on failure.
 */
async function fetchChecked(
  source: ToolSource,
  tool: ToolView,
  target: ToolTarget,
): Promise<{ staging: string; loaded: LoadedTool }> {
  const { tool: published, code } = await source.registry.getToolPackage({ id: tool.id });
  // Checked before anything touches the disk: the entry path and name must stay inside the tools folder.
  const parsed = SandboxToolManifest.safeParse(published.entry);
  if (!parsed.success || parsed.data.name !== tool.name || parsed.data.author !== tool.author)
    throw new PlexusError(
      'forbidden',
      'package_invalid',
      `the registry's entry for ${tool.name} is not a valid manifest by ${tool.author}` +
        (parsed.success ? '' : `: ${formatZodError(parsed.error)}`),
    );
  const manifest = parsed.data;
  fs.mkdirSync(target.toolsDir, { recursive: true });
  const staging = fs.mkdtempSync(path.join(target.toolsDir, `.install-${manifest.name}-`));
  try {
    const entryFile = path.join(staging, manifest.entry);
    fs.mkdirSync(path.dirname(entryFile), { recursive: true });
    fs.writeFileSync(entryFile, code);
    // As published (the signature covers exactly these fields).
    fs.writeFileSync(path.join(staging, MANIFEST_FILE), JSON.stringify(published.entry, null, 2) + '\n');
    const loaded = await loadToolPackage(staging, {
      policy: target.policy,
      workspace: target.policy.workspace ?? staging,
      trustOf: source.trustOf,
    });
    const signer = Buffer.from(ed25519FromMultibase(signingKeyOf(loaded.manifest) as string));
    if (!(await source.keys.signedBy(manifest.author, published.updated_at, (key) => signer.equals(key))))
      throw new PlexusError(
        'forbidden',
        'signing_key_invalid',
        `${manifest.name}@${manifest.version} is signed by a key that was not ${manifest.author}'s when it was published (retired before, or the author is revoked)`,
        { hint: 'the author publishes it again, signed with its current key' },
      );
    const origin: Origin = { id: published.id, sha256: loaded.manifest.entrySha256, installedAt: Date.now() };
    fs.writeFileSync(path.join(staging, ORIGIN_FILE), JSON.stringify(origin, null, 2) + '\n');
    return { staging, loaded };
  } catch (error) {
    fs.rmSync(staging, { recursive: true, force: true });
    throw error;
  }
}

/** Puts the staged folder in place of `<toolsDir>/<name>` (a rename, so the sandbox never loads half). */
function place(target: ToolTarget, staging: string, name: string): void {
  const dir = packageDir(target, name);
  const old = fs.existsSync(dir) ? `${staging}.old` : null;
  if (old) fs.renameSync(dir, old);
  fs.renameSync(staging, dir);
  if (old) fs.rmSync(old, { recursive: true, force: true });
}

/** `<toolsDir>/<name>`, for a name that is a tool name (so it stays inside the folder). */
function packageDir(target: ToolTarget, name: string): string {
  const checked = ToolName.safeParse(name);
  if (!checked.success)
    throw invalid('name', `'${name}' ${checked.error.issues[0]?.message ?? 'is not a tool name'}`);
  return path.join(target.toolsDir, name);
}

export type InstallResult = Installed & { action: 'installed' | 'updated' | 'unchanged' };

export async function installTool(
  source: ToolSource,
  target: ToolTarget,
  name: string,
  author?: string,
): Promise<InstallResult> {
  const present = readInstalled(target, name);
  if (present && author && present.author !== author)
    throw new PlexusError(
      'conflict',
      'tool_installed',
      `'${name}' by ${present.author} is installed; remove it first`,
      { hint: `plexus agent tools remove ${name}`, field: 'name' },
    );
  const published = await findPublished(source, name, author ?? present?.author);
  if (present && present.sha256 === published.package_sha256 && present.version === published.version)
    return { ...present, action: 'unchanged' };
  const { staging, loaded } = await fetchChecked(source, published, target);
  place(target, staging, name);
  return {
    ...installedOf(loaded, readOrigin(packageDir(target, name))),
    action: present ? 'updated' : 'installed',
  };
}

/** How the running agent's sandbox took an installed package. */
export type Serving =
  | { state: 'served' }
  /** Not served within the wait: refused by the running sandbox (its policy differs from agent.json now). */
  | { state: 'refused'; code: string; message: string }
  /** Not served within the wait, nor refused. */
  | { state: 'pending' };

/** How often the sandbox's serving file is read while waiting for it to serve a package. */
const SERVING_POLL_MS = 100;

/**
 * Waits until the agent's running sandbox serves `installed` (it reloads the tools folder a moment after a
 * change), for at most `waitMs`. Null when no sandbox runs: the agent is not started.
 */
export async function awaitServed(
  target: ToolTarget,
  installed: Pick<Installed, 'name' | 'author' | 'sha256'>,
  waitMs = 30_000,
): Promise<Serving | null> {
  const until = Date.now() + waitMs;
  for (;;) {
    const serving = readServing(target.servingFile);
    if (!serving) return null;
    const served = serving.tools.some(
      (t) => t.name === installed.name && t.author === installed.author && t.entrySha256 === installed.sha256,
    );
    if (served) return { state: 'served' };
    if (Date.now() >= until) {
      const failure = serving.failures.find((f) => f.dir === packageDir(target, installed.name));
      return failure
        ? { state: 'refused', code: failure.code, message: failure.message }
        : { state: 'pending' };
    }
    await new Promise((resolve) => setTimeout(resolve, SERVING_POLL_MS));
  }
}

function readInstalled(target: ToolTarget, name: string): Installed | null {
  const dir = packageDir(target, name);
  try {
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, MANIFEST_FILE), 'utf8')) as Record<
      string,
      string
    >;
    const origin = readOrigin(dir);
    return {
      name,
      version: String(manifest['version']),
      author: String(manifest['author']),
      id: origin?.id ?? null,
      sha256: String(manifest['entrySha256']),
      narrowed: [],
    };
  } catch {
    return null;
  }
}

/** The installed packages as the sandbox loads them, and the ones it refuses (with why). */
export async function listInstalled(
  target: ToolTarget,
): Promise<{ tools: Installed[]; failures: LoadFailure[] }> {
  const { tools, failures } = await loadToolsDir(target.toolsDir, {
    // Trust was checked at install; listing shows what the sandbox will serve.
    policy: { ...target.policy, minTrust: undefined },
    workspace: target.policy.workspace ?? target.toolsDir,
  });
  return {
    tools: [...tools.values()].map((tool) => installedOf(tool, readOrigin(tool.dir))),
    failures,
  };
}

export function removeTool(target: ToolTarget, name: string): boolean {
  const dir = packageDir(target, name);
  if (!fs.existsSync(path.join(dir, MANIFEST_FILE))) return false;
  fs.rmSync(dir, { recursive: true, force: true });
  return true;
}

export type UpdateResult =
  | InstallResult
  | { name: string; action: 'withdrawn'; version: string; author: string }
  | { name: string; action: 'failed'; code: string; message: string };

/**
 * Brings every package installed from the registry (or only `names`) to its published version. One the
 * author withdrew is removed: the sandbox stops offering it. One that fails its checks keeps the installed
 * version.
 */
export async function updateTools(
  source: ToolSource,
  target: ToolTarget,
  names: readonly string[] = [],
): Promise<UpdateResult[]> {
  const entries = fs.existsSync(target.toolsDir) ? fs.readdirSync(target.toolsDir) : [];
  const results: UpdateResult[] = [];
  for (const name of entries.sort()) {
    if (name.startsWith('.') || (names.length && !names.includes(name))) continue;
    const present = readInstalled(target, name);
    if (!present?.id) continue;
    try {
      results.push(await installTool(source, target, name, present.author));
    } catch (error) {
      if (error instanceof PlexusError && error.code === 'tool_not_found') {
        removeTool(target, name);
        results.push({ name, action: 'withdrawn', version: present.version, author: present.author });
      } else if (error instanceof PlexusError) {
        results.push({ name, action: 'failed', code: error.code, message: error.message });
      } else throw error;
    }
  }
  return results;
}
