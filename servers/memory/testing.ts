import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import type { Client } from '@modelcontextprotocol/client';
import { authInfoFor, connectInProcess } from '../../lib/mcp/in-process.ts';
import { toolErrorOf, type ToolErrorInfo } from '../../lib/mcp/result.ts';
import { silentLogger } from '../../lib/log.ts';
import { generateIdentityKeys } from '../../lib/crypto/identity-keys.ts';
import type { Embedder } from '../../lib/embedding/embedder.ts';
import { openSqliteMemory, type Memory } from './domain/memory.ts';
import type { RecordSigner } from './domain/records.ts';
import { buildServer } from './server.ts';

/** A fresh temp dir removed after the test. */
export function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'plexus-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A new agent identity usable as a record signer. */
export function agent(): RecordSigner {
  const keys = generateIdentityKeys();
  return { did: keys.did, secretKey: keys.signing.secretKey };
}

export interface MemoryHarness {
  memory: Memory;
  dir: string;
  /** An SDK client calling the memory server as `subject` with `scopes`. */
  connect(subject: string, scopes?: string[]): Promise<Client>;
}

/** Memory in a temp SQLite file, and real MCP clients to its server. */
export function memoryHarness(
  t: TestContext,
  options: { now?: () => number; embedder?: Embedder; signer?: RecordSigner } = {},
): MemoryHarness {
  const dir = tempDir(t);
  const memory = openSqliteMemory({ path: join(dir, 'memory.db'), ...options });
  t.after(() => memory.close());
  return {
    memory,
    dir,
    async connect(subject, scopes = ['read', 'write']) {
      const client = await connectInProcess(buildServer({ memory, log: silentLogger }), {
        authInfo: authInfoFor(subject, scopes),
      });
      t.after(() => client.close());
      return client;
    },
  };
}

/** Calls a tool and returns its structured content, failing the test on a tool error. */
export async function call<T = Record<string, unknown>>(
  client: Client,
  name: string,
  args: Record<string, unknown> = {},
): Promise<T> {
  const result = await client.callTool({ name, arguments: args });
  assert.ok(!result.isError, `${name} failed: ${JSON.stringify(result.structuredContent ?? result.content)}`);
  return result.structuredContent as T;
}

/** Calls a tool expected to fail; returns the error code (`invalid_params` for malformed input). */
export async function callError(
  client: Client,
  name: string,
  args: Record<string, unknown>,
): Promise<string> {
  return (await callFailure(client, name, args)).code;
}

/** Calls a tool expected to fail; returns the error (code, message, field when known). */
export async function callFailure(
  client: Client,
  name: string,
  args: Record<string, unknown>,
): Promise<ToolErrorInfo> {
  const result = await client.callTool({ name, arguments: args });
  const error = toolErrorOf(result);
  assert.ok(error, `${name} should have failed: ${JSON.stringify(result.structuredContent)}`);
  return error;
}
