import type { McpServer } from '@modelcontextprotocol/server';
import type { Logger } from '../../../lib/log.ts';
import type { Scope } from '../../../schemas/memory.ts';
import type { Memory } from '../domain/memory.ts';

export interface ToolDeps {
  memory: Memory;
  log: Logger;
}

export type RegisterTool = (server: McpServer, deps: ToolDeps) => void;

export const PRIVATE: Scope = { kind: 'private' };

/** The text content of the reference memory server (`@modelcontextprotocol/server-memory`): its result as JSON. */
export const asJson = (result: unknown): string => JSON.stringify(result, null, 2);

/** The reference memory server's answer to a delete: the same message as structured content and as text. */
export function deleted(what: 'Entities' | 'Observations' | 'Relations') {
  const message = `${what} deleted successfully`;
  return { structured: { success: true, message }, text: message };
}

/** Errors the reference memory server also gives: shown in its words (see ToolSpec.plainErrors). */
export const REFERENCE_ERRORS = ['entity_not_found'];

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
