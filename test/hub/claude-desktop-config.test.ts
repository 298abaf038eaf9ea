import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { StdioClientTransport, getDefaultEnvironment } from '@modelcontextprotocol/client/stdio';
import { Client } from '@modelcontextprotocol/client';
import { tempDir } from './helpers.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const PLACEHOLDER = '/path/to/plexus';

interface Entry {
  command: string;
  args: string[];
  env?: Record<string, string>;
}

test(
  'every stdio entry of claude_desktop_config.example.json starts and lists its tools',
  { timeout: 300_000 },
  async (t) => {
    const data = tempDir(t);
    const raw = fs.readFileSync(path.join(ROOT, 'claude_desktop_config.example.json'), 'utf8');
    const config = JSON.parse(raw.replaceAll(`${PLACEHOLDER}/data`, data).replaceAll(PLACEHOLDER, ROOT)) as {
      mcpServers: Record<string, Entry>;
    };
    const entries = Object.entries(config.mcpServers);
    assert.ok(entries.length >= 8, 'the hub and every server have an entry');
    for (const name of [
      'plexus',
      'plexus-identity',
      'plexus-registry',
      'plexus-router',
      'plexus-memory',
      'plexus-llm',
    ]) {
      assert.ok(config.mcpServers[name], `${name} has an entry`);
    }
    const clients: Client[] = [];
    t.after(() => Promise.allSettled(clients.map((c) => c.close())));
    // Two at a time: each entry is a full Node process loading its server.
    const check = async ([name, entry]: [string, Entry]) => {
      assert.equal(entry.command, 'node', `${name} runs node`);
      const client = new Client({ name: 'claude-desktop-check', version: '1.0.0' });
      clients.push(client);
      await client.connect(
        new StdioClientTransport({
          command: process.execPath,
          args: entry.args,
          env: { ...getDefaultEnvironment(), ...(entry.env ?? {}) },
          cwd: data,
          stderr: 'ignore',
        }),
        { timeout: 120_000 },
      );
      const { tools } = await client.listTools();
      await client.close();
      return [name, tools.map((tool) => tool.name)] as const;
    };
    const listed: (readonly [string, string[]])[] = [];
    for (let i = 0; i < entries.length; i += 2) {
      listed.push(...(await Promise.all(entries.slice(i, i + 2).map(check))));
    }
    for (const [name, tools] of listed) assert.ok(tools.length > 0, `${name} lists tools`);
    const hub = new Map(listed).get('plexus') ?? [];
    for (const server of ['identity', 'router', 'registry', 'memory', 'llm']) {
      assert.ok(
        hub.some((tool) => tool.startsWith(`${server}__`)),
        `the hub entry lists ${server} tools`,
      );
    }
    const identity = new Map(listed).get('plexus-identity') ?? [];
    assert.ok(identity.includes('issue_access_token'));
  },
);
