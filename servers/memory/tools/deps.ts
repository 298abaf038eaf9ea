import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Logger } from '../../../lib/log.ts';
import type { Scope } from '../../../schemas/memory.ts';
import type { Memory } from '../domain/memory.ts';

export interface ToolDeps {
  memory: Memory;
  log: Logger;
}

export type RegisterTool = (server: McpServer, deps: ToolDeps) => void;

export const PRIVATE: Scope = { kind: 'private' };

export const WRITE = {
  readOnlyHint: false,
  destructiveHint: false,
  idempotentHint: false,
  openWorldHint: false,
};
export const DELETE = {
  readOnlyHint: false,
  destructiveHint: true,
  idempotentHint: true,
  openWorldHint: false,
};
export const READ = {
  readOnlyHint: true,
  destructiveHint: false,
  idempotentHint: true,
  openWorldHint: false,
};
