// The conformance suite's Tasks-extension scenarios need their own fixture tools (greet, slow_compute,
// failing_job, protocol_error_job); served through serveToolTasks and BackgroundTasks, they check the wire
// shapes Plexus's task-capable tools use. Not run: tasks-mrtr-input and tasks-mrtr-composition (no Plexus
// task waits for input), tasks-required-task-error (every Plexus task tool also runs blocking) and
// tasks-status-notifications (the suite skips it itself).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { McpServer, type CallToolResult } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { McpTaskSettings } from '../../schemas/mcp-task.ts';
import { silentLogger } from '../log.ts';
import { BackgroundTasks } from './background-tasks.ts';
import { serveHttp } from './serve-http.ts';
import { serveToolTasks } from './tool-tasks.ts';

const CLI = path.resolve(
  import.meta.dirname,
  '../../node_modules/@modelcontextprotocol/conformance/dist/index.js',
);

/** Checks of these scenarios that need a task waiting for input (`confirm_delete`), which Plexus never has. */
const NEEDS_INPUT_REQUIRED = ['tasks-dispatch-and-envelope/tasks-result-type-complete-on-non-task-responses'];

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(timer), reject(signal.reason as Error)), {
      once: true,
    });
  });
}

function fixtureServer(tasks: BackgroundTasks): McpServer {
  const server = new McpServer({ name: 'tasks-fixture', version: '1' });
  const text = (value: string): CallToolResult => ({ content: [{ type: 'text', text: value }] });
  server.registerTool(
    'greet',
    { description: 'sync only', inputSchema: z.object({ name: z.string() }) },
    async ({ name }) => text(`Hello, ${name}!`),
  );
  server.registerTool(
    'slow_compute',
    {
      description: 'sleeps, then answers',
      inputSchema: z.object({ seconds: z.number(), label: z.string().optional() }),
    },
    async ({ seconds, label }, ctx) => {
      await sleep(seconds * 1000, ctx.mcpReq.signal);
      return text(`computed ${label ?? ''} after ${seconds} s`);
    },
  );
  server.registerTool('failing_job', { description: 'a tool error' }, async () => ({
    ...text('the job failed'),
    isError: true,
  }));
  // A result the SDK refuses to send (content is not a list): the call ends in a JSON-RPC error.
  server.registerTool(
    'protocol_error_job',
    { description: 'a protocol error' },
    async () => ({ content: 'not a list' }) as unknown as CallToolResult,
  );
  return serveToolTasks(server, tasks);
}

test('the conformance suite finds the Tasks extension wire shapes right', { timeout: 240_000 }, async (t) => {
  const tasks = new BackgroundTasks(
    ['slow_compute', 'failing_job', 'protocol_error_job'],
    McpTaskSettings.parse({ poll_interval_ms: 50 }),
    { now: Date.now, log: silentLogger },
  );
  t.after(() => tasks.close());
  const served = await serveHttp(
    { createServer: () => fixtureServer(tasks), close: async () => {} },
    { verifyToken: null, log: silentLogger },
  );
  t.after(() => served.close());
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'plexus-tasks-conformance-'));
  t.after(() => fs.rmSync(out, { recursive: true, force: true }));

  const scenarios = [
    'tasks-lifecycle',
    'tasks-capability-negotiation',
    'tasks-wire-fields',
    'tasks-request-state-removal',
    'tasks-request-headers',
    'tasks-dispatch-and-envelope',
  ];
  const notPassed: string[] = [];
  let passed = 0;
  for (const scenario of scenarios) {
    const dir = path.join(out, scenario);
    // The CLI exits non-zero when a check fails; the per-check results are what we look at.
    await promisify(execFile)(
      process.execPath,
      [CLI, 'server', '--url', served.url, '--scenario', scenario, '-o', dir],
      { timeout: 120_000 },
    ).catch((error: unknown) => error);
    const [run] = fs.readdirSync(dir);
    assert.ok(run, `${scenario} wrote no results`);
    const checks = JSON.parse(fs.readFileSync(path.join(dir, run, 'checks.json'), 'utf8')) as {
      id: string;
      status: string;
      errorMessage?: string;
    }[];
    for (const check of checks) {
      if (check.status === 'SUCCESS') passed++;
      else notPassed.push(`${scenario}/${check.id}: ${check.status} ${check.errorMessage ?? ''}`);
    }
  }
  assert.deepEqual(
    notPassed.map((line) => line.slice(0, line.indexOf(':'))),
    NEEDS_INPUT_REQUIRED,
    notPassed.join('\n'),
  );
  assert.ok(passed >= 30, `expected the scenarios' checks to pass, ${passed} did`);
});
