// Helpers for the llm server's own tests: a component over fixture servers, and a client as some caller.
import type { TestContext } from 'node:test';
import type { Client, CallToolResult } from '@modelcontextprotocol/client';
import { silentLogger } from '../../lib/log.ts';
import { authInfoFor, connectInProcess } from '../../lib/mcp/in-process.ts';
import { toolErrorOf, type ToolErrorInfo } from '../../lib/mcp/result.ts';
import type { LlmSettingsInput } from '../../schemas/llm/settings.ts';
import { createLlmComponent } from './component.ts';

export interface LlmUnderTest {
  /** A client with read+write scopes (an agent). */
  client: Client;
  /** Connects another client with the given scopes. */
  connect: (scopes: string[]) => Promise<Client>;
  /** Waits the router asked for between retry rounds (they are not actually slept). */
  sleeps: number[];
}

export async function startLlm(
  t: TestContext,
  settings: LlmSettingsInput,
  options: { now?: () => number; scopes?: string[] } = {},
): Promise<LlmUnderTest> {
  const sleeps: number[] = [];
  const component = await createLlmComponent(
    {
      dataDir: '',
      log: silentLogger,
      now: options.now ?? Date.now,
      settings: { health: { interval_ms: 0 }, ...settings },
      connect: () => Promise.reject(new Error('the llm server needs no siblings')),
    },
    {
      sleep: async (ms) => {
        sleeps.push(ms);
      },
    },
  );
  t.after(() => component.close());
  const clients: Client[] = [];
  t.after(() => Promise.all(clients.map((c) => c.close())));
  const connect = async (scopes: string[]) => {
    const client = await connectInProcess(component.createServer(), {
      authInfo: authInfoFor('operator:test', scopes),
    });
    clients.push(client);
    return client;
  };
  return { client: await connect(options.scopes ?? ['read', 'write']), connect, sleeps };
}

/** The structured content of a successful call (fails the test with the error text otherwise). */
export function ok<T = Record<string, unknown>>(result: unknown): T {
  const r = result as CallToolResult;
  if (r.isError) throw new Error(`tool failed: ${JSON.stringify(r.content)}`);
  return r.structuredContent as T;
}

/** The error code of a failed call (`invalid_params` for input errors), or undefined when it succeeded. */
export function errorCode(result: unknown): string | undefined {
  return toolErrorOf(result)?.code;
}

/** The error of a failed call: code, message, hint. */
export function errorOf(result: unknown): ToolErrorInfo {
  const info = toolErrorOf(result);
  if (!info) throw new Error('expected the call to fail');
  return info;
}
