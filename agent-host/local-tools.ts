import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { McpServerEntry } from '../schemas/mcp-servers.ts';
import type { AgentConfig, AgentPaths } from './config.ts';
import { sandboxDataDir, sandboxPolicy } from './tool-packages.ts';

/**
 * The agent's default MCP tool servers, started beside its `mcpServers` map by `LocalTools`
 * (lib/mcp/local-tools.ts).
 */
const PLEXUS_BIN = path.resolve(import.meta.dirname, '../bin/plexus.ts');

/** `plexus serve <name> --stdio …` as a child of the agent. */
function plexusServe(name: string, args: string[]): McpServerEntry {
  return {
    command: process.execPath,
    args: ['--no-node-snapshot', PLEXUS_BIN, 'serve', name, '--stdio', ...args],
    env: {},
    disabled: false,
  };
}

/**
 * The sandbox over the installed tool packages. It reloads the folder when a package is installed, updated
 * or removed. The author's trust was checked at install against the hub; the child applies the grants.
 */
function sandboxServer(config: AgentConfig, paths: AgentPaths): McpServerEntry {
  const data = sandboxDataDir(paths);
  fs.mkdirSync(paths.tools, { recursive: true });
  fs.mkdirSync(data, { recursive: true });
  const { minTrust: _checkedAtInstall, ...policy } = sandboxPolicy(config, paths);
  const policyFile = path.join(data, 'policy.json');
  fs.writeFileSync(policyFile, JSON.stringify(policy, null, 2) + '\n', { mode: 0o600 });
  return plexusServe('sandbox', [
    '--data',
    data,
    '--tools',
    paths.tools,
    '--policy',
    policyFile,
    '--workers',
    String(config.sandbox.workers),
  ]);
}

/** Web search through the configured backend, and fetch_url; Brave's key goes by environment, not argv. */
function webServer(search: NonNullable<AgentConfig['webSearch']>, paths: AgentPaths): McpServerEntry {
  const data = ['--data', path.join(paths.storage, 'web')];
  if (search.provider === 'searxng') return plexusServe('web', [...data, '--searxng', search.url ?? '']);
  const entry = plexusServe('web', [...data, '--brave', ...(search.url ? ['--brave-url', search.url] : [])]);
  return search.apiKey && !process.env['PLEXUS_BRAVE_API_KEY']
    ? { ...entry, env: { PLEXUS_BRAVE_API_KEY: search.apiKey } }
    : entry;
}

/**
 * The default servers: the reference filesystem server rooted at the configured folders, `system`, the
 * sandbox running installed tool packages, and `web` when a search backend is configured.
 */
export function defaultServers(config: AgentConfig, paths: AgentPaths): Record<string, McpServerEntry> {
  if (!config.defaultTools) return {};
  const roots = config.filesystemRoots.map((root) => path.resolve(paths.dir, root));
  for (const root of roots) fs.mkdirSync(root, { recursive: true });
  const filesystem = createRequire(import.meta.url).resolve(
    '@modelcontextprotocol/server-filesystem/dist/index.js',
  );
  return {
    filesystem: { command: process.execPath, args: [filesystem, ...roots], env: {}, disabled: false },
    system: plexusServe('system', ['--data', path.join(paths.storage, 'system')]),
    sandbox: sandboxServer(config, paths),
    ...(config.webSearch ? { web: webServer(config.webSearch, paths) } : {}),
  };
}
