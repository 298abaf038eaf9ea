import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport, getDefaultEnvironment } from '@modelcontextprotocol/client/stdio';

const PLEXUS = path.resolve(import.meta.dirname, '../../bin/plexus.ts');

/** `plexus serve router --stdio` as a child of a client speaking `mode` (the SDK's own stdio transport). */
async function routerOverStdio(t: TestContext, mode: 'auto' | 'legacy'): Promise<Client> {
  const data = fs.mkdtempSync(path.join(os.tmpdir(), 'plexus-stdio-'));
  const client = new Client({ name: 'stdio-check', version: '1' }, { versionNegotiation: { mode } });
  t.after(async () => {
    await client.close();
    fs.rmSync(data, { recursive: true, force: true });
  });
  await client.connect(
    new StdioClientTransport({
      command: process.execPath,
      args: ['--no-node-snapshot', PLEXUS, 'serve', 'router', '--stdio', '--data', data],
      env: getDefaultEnvironment(),
      stderr: 'ignore',
    }),
    { timeout: 120_000 },
  );
  return client;
}

const EVENT = { type: 'test.ping', subject: 'stdio', data: {} };

test('over stdio a 2026-07-28 client listens for resource updates, as the local operator', async (t) => {
  const client = await routerOverStdio(t, 'auto');
  assert.equal(client.getProtocolEra(), 'modern');
  const updated = new Promise<string>((resolve) =>
    client.setNotificationHandler('notifications/resources/updated', (n) => resolve(n.params.uri)),
  );
  const subscription = await client.listen({ resourceSubscriptions: ['plexus://events'] });
  assert.deepEqual(subscription.honoredFilter, { resourceSubscriptions: ['plexus://events'] });
  const published = await client.callTool({ name: 'publish_event', arguments: EVENT });
  assert.equal(published.isError, undefined);
  assert.equal(await updated, 'plexus://events');
  await subscription.close();
});

test('over stdio a 2025-era client still gets its session, with resources/subscribe', async (t) => {
  const client = await routerOverStdio(t, 'legacy');
  assert.equal(client.getProtocolEra(), 'legacy');
  const updated = new Promise<string>((resolve) =>
    client.setNotificationHandler('notifications/resources/updated', (n) => resolve(n.params.uri)),
  );
  await client.subscribeResource({ uri: 'plexus://events' });
  await client.callTool({ name: 'publish_event', arguments: EVENT });
  assert.equal(await updated, 'plexus://events');
});
