import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { StdioClientTransport, getDefaultEnvironment } from '@modelcontextprotocol/client/stdio';
import { Client } from '@modelcontextprotocol/client';
import { LOCAL_USER_FILE } from '../../lib/identity/local-user.ts';
import { tempDir } from './helpers.ts';

const PLEXUS = path.resolve(import.meta.dirname, '../../bin/plexus.ts');

async function stdioClient(t: test.TestContext, args: string[], cwd: string): Promise<Client> {
  const client = new Client({ name: 'stdio-user-check', version: '1.0.0' });
  t.after(() => client.close());
  await client.connect(
    new StdioClientTransport({
      command: process.execPath,
      args: ['--no-node-snapshot', PLEXUS, ...args],
      env: { ...getDefaultEnvironment(), PLEXUS_LOG_LEVEL: 'error' },
      cwd,
      stderr: 'ignore',
    }),
    { timeout: 120_000 },
  );
  return client;
}

test(
  'over stdio the local user is a DID: memory stores for it, and the hub registers it with identity',
  { timeout: 240_000 },
  async (t) => {
    const data = tempDir(t);
    const memory = await stdioClient(t, ['serve', 'memory', '--stdio', '--data', data], data);
    const created = await memory.callTool({
      name: 'create_entities',
      arguments: { entities: [{ name: 'Ada', entityType: 'person', observations: ['writes notes'] }] },
    });
    assert.ok(!created.isError, JSON.stringify(created.content));
    await memory.close();
    const file = JSON.parse(fs.readFileSync(path.join(data, LOCAL_USER_FILE), 'utf8')) as { did: string };
    assert.equal(fs.statSync(path.join(data, LOCAL_USER_FILE)).mode & 0o777, 0o600);

    // The whole hub over stdio, same data dir: the same person, registered, with its own memory and inbox.
    const hub = await stdioClient(t, ['hub', '--stdio', '--data', data], data);
    const resolved = await hub.callTool({ name: 'identity__resolve_did', arguments: { did: file.did } });
    assert.ok(!resolved.isError, JSON.stringify(resolved.content));
    const card = (resolved.structuredContent as { card: { role: string } }).card;
    assert.equal(card.role, 'person');
    const graph = await hub.callTool({ name: 'memory__read_graph', arguments: {} });
    const entities = (graph.structuredContent as { entities: { name: string }[] }).entities;
    assert.deepEqual(
      entities.map((e) => e.name),
      ['Ada'],
    );
    const inbox = await hub.callTool({ name: 'router__fetch_inbox', arguments: {} });
    assert.ok(!inbox.isError, JSON.stringify(inbox.content));
    assert.deepEqual((inbox.structuredContent as { messages: unknown[] }).messages, []);
  },
);
