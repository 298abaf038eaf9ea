import { McpServer } from '@modelcontextprotocol/server';
import type { RegisteredTool } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { invalid, PlexusError, type ErrorKind } from '../lib/errors.ts';
import { jsonSize } from '../schemas/common.ts';
import type { Logger } from '../lib/log.ts';
import { defineTool } from '../lib/mcp/define-tool.ts';
import { sampleQuantile } from '../lib/quantile.ts';
import { GetSandboxStatsInput, GetSandboxStatsOutput } from '../schemas/sandbox/tools.ts';
import type { Supervisor } from './supervisor.ts';
import {
  checkAgainst,
  type RegisteredSandboxTool,
  type ToolRegistry,
  type ToolStats,
} from './tool-registry.ts';
import type { CallErrorCode } from './worker/protocol.ts';

export interface SandboxServerDeps {
  registry: ToolRegistry;
  supervisor: Supervisor;
  log: Logger;
  /** Largest JSON output a call may return. */
  outputBytes: number;
  now: () => number;
}

/** Calls per tool whose wall times the quantiles are taken over. */
const RECENT_CALLS = 256;

/** Arguments are copied into the isolate: keep them to a sane size. */
export const MAX_INPUT_BYTES = 1024 * 1024;

const ERROR_KINDS: Record<CallErrorCode, ErrorKind> = {
  tool_error: 'unavailable',
  permission_denied: 'forbidden',
  quota_exceeded: 'limit',
  timeout: 'limit',
  cpu_limit: 'limit',
  memory_limit: 'limit',
  output_too_large: 'limit',
  output_invalid: 'unavailable',
  load_failed: 'unavailable',
  worker_crashed: 'unavailable',
  internal: 'unavailable',
};

const HINTS: Partial<Record<CallErrorCode, string>> = {
  permission_denied: 'the tool used a capability it was not granted',
  quota_exceeded: 'the tool keeps more than its quota allows; it must delete some of it first',
  timeout: 'the tool overran its time limit; its worker was reset',
  cpu_limit: 'the tool overran its CPU limit; its isolate was reset',
  memory_limit: 'the tool overran its memory limit; its isolate was reset',
  output_too_large: 'ask the tool for less output',
};

function recordCall(
  stats: ToolStats,
  now: number,
  wallMs: number,
  cold: boolean,
  error?: { code: string; message: string },
): void {
  stats.calls++;
  stats.lastCallAt = now;
  stats.totalWallMs += wallMs;
  stats.maxWallMs = Math.max(stats.maxWallMs, wallMs);
  stats.recentWallMs.push(wallMs);
  if (stats.recentWallMs.length > RECENT_CALLS) stats.recentWallMs.shift();
  if (cold) stats.coldStarts++;
  if (error) {
    stats.errors[error.code] = (stats.errors[error.code] ?? 0) + 1;
    stats.lastError = { ...error, at: now };
  } else {
    stats.ok++;
  }
}

function registerSandboxTool(
  server: McpServer,
  deps: SandboxServerDeps,
  tool: RegisteredSandboxTool,
): RegisteredTool {
  const { manifest, grant, code } = tool;
  return defineTool(server, deps, {
    name: manifest.name,
    title: manifest.name,
    description: manifest.description,
    scope: 'write',
    // The author's JSON Schemas are listed as they are (zod metadata) and enforced with Ajv below.
    input: z.looseObject({}).meta(manifest.inputSchema),
    output: z.looseObject({}).meta(manifest.outputSchema),
    annotations: {
      readOnlyHint: false,
      destructiveHint: grant.fs.some((r) => r.access === 'write') || grant.kv,
      idempotentHint: false,
      openWorldHint: grant.net.length > 0,
    },
    handler: async (args) => {
      checkAgainst(tool.validateInput, args, 'arguments');
      if (jsonSize(args) > MAX_INPUT_BYTES) {
        throw invalid('arguments', `must be at most ${MAX_INPUT_BYTES} bytes of JSON`);
      }
      const started = performance.now();
      const stats = deps.registry.stats(manifest.name);
      let outcome;
      try {
        outcome = await deps.supervisor.run(code, args, deps.outputBytes);
      } catch (error) {
        if (error instanceof PlexusError)
          recordCall(stats, deps.now(), performance.now() - started, false, error);
        throw error;
      }
      if (outcome.logs.length > 0)
        deps.log.info({ tool: manifest.name, logs: outcome.logs }, 'sandboxed tool log');
      const wallMs = performance.now() - started;
      if (!outcome.ok) {
        recordCall(stats, deps.now(), wallMs, outcome.stats.cold, outcome.error);
        const hint = HINTS[outcome.error.code];
        throw new PlexusError(
          ERROR_KINDS[outcome.error.code],
          outcome.error.code,
          `${manifest.name}: ${outcome.error.message}`,
          hint ? { hint } : {},
        );
      }
      const output = outcome.output;
      try {
        if (typeof output !== 'object' || output === null || Array.isArray(output)) {
          throw new Error('output must be a JSON object');
        }
        checkAgainst(tool.validateOutput, output, 'output');
      } catch (error) {
        const message = `${manifest.name} returned output that does not match its outputSchema: ${(error as Error).message}`;
        recordCall(stats, deps.now(), wallMs, outcome.stats.cold, { code: 'output_invalid', message });
        throw new PlexusError('unavailable', 'output_invalid', message);
      }
      recordCall(stats, deps.now(), wallMs, outcome.stats.cold);
      return {
        structured: output as Record<string, unknown>,
        // The output itself is what a tool is for: clients (and models) that read only text get it too.
        text: JSON.stringify(output),
      };
    },
  });
}

/** The sandbox MCP server: every loaded tool package as a tool, kept in step with the folder, plus stats. */
export function buildServer(deps: SandboxServerDeps): McpServer {
  const server = new McpServer(
    { name: 'plexus-sandbox', version: '0.1.0' },
    {
      capabilities: { tools: { listChanged: true } },
      instructions: 'Tools here run untrusted code in isolated-vm sandboxes.',
    },
  );
  defineTool(server, deps, {
    name: 'get_sandbox_stats',
    title: 'Sandbox tool statistics',
    description:
      'Per-tool call counts, errors, timings and granted permissions, and packages that failed to load.',
    scope: 'read',
    input: GetSandboxStatsInput,
    output: GetSandboxStatsOutput,
    annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    handler: async ({ name }) => {
      const tools = [...deps.registry.tools().values()]
        .filter((t) => name === undefined || t.manifest.name === name)
        .map((t) => {
          const s = deps.registry.stats(t.manifest.name);
          const { narrowed, ...granted } = t.grant;
          return {
            name: t.manifest.name,
            version: t.manifest.version,
            author: t.manifest.author,
            dir: t.dir,
            granted,
            narrowed,
            calls: s.calls,
            ok: s.ok,
            errors: s.errors,
            coldStarts: s.coldStarts,
            meanWallMs: s.calls ? s.totalWallMs / s.calls : 0,
            p50WallMs: sampleQuantile(s.recentWallMs, 0.5),
            p99WallMs: sampleQuantile(s.recentWallMs, 0.99),
            maxWallMs: s.maxWallMs,
            lastCallAt: s.lastCallAt,
            lastError: s.lastError,
          };
        });
      if (name !== undefined && tools.length === 0) {
        throw new PlexusError('not_found', 'tool_not_found', `no sandboxed tool named '${name}'`);
      }
      const failures = [...deps.registry.failures()];
      return {
        structured: {
          tools,
          failures,
          workers: deps.supervisor.pids().length,
          ...deps.supervisor.load(),
          queued: deps.supervisor.queued,
          maxQueue: deps.supervisor.maxQueue,
        },
        text: `${tools.length} tools, ${failures.length} packages refused`,
      };
    },
  });

  const registered = new Map<string, { key: string; tool: RegisteredTool }>();
  const sync = (): void => {
    const current = deps.registry.tools();
    for (const [name, entry] of registered) {
      if (current.get(name)?.code.key !== entry.key) {
        entry.tool.remove();
        registered.delete(name);
      }
    }
    for (const [name, tool] of current) {
      if (!registered.has(name))
        registered.set(name, { key: tool.code.key, tool: registerSandboxTool(server, deps, tool) });
    }
  };
  sync();
  const unsubscribe = deps.registry.onChange(sync);
  const previousOnClose = server.server.onclose;
  server.server.onclose = () => {
    unsubscribe();
    previousOnClose?.();
  };
  return server;
}
