import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { startTestHub } from './helpers.ts';

const run = promisify(execFile);
const INSPECTOR = path.resolve(
  import.meta.dirname,
  '../../node_modules/@modelcontextprotocol/inspector/clients/launcher/build/index.js',
);

test(
  "the MCP Inspector CLI (2.x) lists and calls the hub's tools as the README shows",
  { timeout: 180_000 },
  async (t) => {
    const hub = await startTestHub(t, {}, { catalogDefaults: true });
    const token = hub.operatorToken ?? '';
    // The README's command: `… --cli <url>/mcp --transport http --header "Authorization: Bearer <token>" --method …`.
    const inspector = async (...args: string[]) => {
      const { stdout } = await run(
        process.execPath,
        [
          INSPECTOR,
          '--cli',
          hub.mcpUrl,
          '--transport',
          'http',
          '--header',
          `Authorization: Bearer ${token}`,
          ...args,
        ],
        { timeout: 120_000, env: { ...process.env, HOME: path.dirname(hub.operatorTokenFile ?? '') } },
      );
      return JSON.parse(stdout) as Record<string, unknown>;
    };
    const listed = (await inspector('--method', 'tools/list')) as { tools: { name: string }[] };
    for (const server of ['identity', 'router', 'registry', 'memory', 'llm']) {
      assert.ok(
        listed.tools.some((tool) => tool.name.startsWith(`${server}__`)),
        `${server} tools listed`,
      );
    }
    const called = (await inspector('--method', 'tools/call', '--tool-name', 'identity__get_jwks')) as {
      structuredContent: { keys: { kid: string }[] };
    };
    assert.equal(called.structuredContent.keys.length, 1);
  },
);
