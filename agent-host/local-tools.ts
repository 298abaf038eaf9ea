import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { McpServerEntry } from '../schemas/mcp-servers.ts';
import type { AgentConfig, AgentPaths } from './config.ts';

/**
 * The agent's default MCP tool servers, started beside its `mcpServers` map by `LocalTools`
 * (lib/mcp/local-tools.ts).
 */
const PLEXUS_BIN = path.resolve(import.meta.dirname, '../bin/plexus.ts');

/** The default servers: the reference filesystem server rooted at the configured folders, and `system`. */
export function defaultServers(config: AgentConfig, paths: AgentPaths): Record<string, McpServerEntry> {
  if (!config.defaultTools) return {};
  const roots = config.filesystemRoots.map((root) => path.resolve(paths.dir, root));
  for (const root of roots) fs.mkdirSync(root, { recursive: true });
  const filesystem = createRequire(import.meta.url).resolve(
    '@modelcontextprotocol/server-filesystem/dist/index.js',
  );
  return {
    filesystem: { command: process.execPath, args: [filesystem, ...roots], env: {}, disabled: false },
    system: {
      command: process.execPath,
      args: [
        '--no-node-snapshot',
        PLEXUS_BIN,
        'serve',
        'system',
        '--stdio',
        '--data',
        path.join(paths.storage, 'system'),
      ],
      env: {},
      disabled: false,
    },
  };
}
