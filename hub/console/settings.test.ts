import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { PlexusError } from '../../lib/errors.ts';
import { freshPgDatabase } from '../../test/helpers/services.ts';
import { ConsoleSettings } from './settings.ts';

function dataDir(t: { after(fn: () => void): void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plexus-console-settings-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('console settings survive a restart, owner-only, written whole', async (t) => {
  const dir = dataDir(t);
  const settings = await ConsoleSettings.open({ dataDir: dir });
  assert.deepEqual(settings.data.virtualServers, {});
  await settings.update((draft) => {
    draft.virtualServers['observer'] = { tools: ['router__fetch_events'] };
    draft.disabledTools.push('router__publish_event');
    draft.revoked['operator:ci'] = { by: 'ada', at: 1 };
  });
  const again = await ConsoleSettings.open({ dataDir: dir });
  assert.deepEqual(again.data.virtualServers, { observer: { tools: ['router__fetch_events'] } });
  assert.deepEqual(again.data.disabledTools, ['router__publish_event']);
  assert.equal(fs.statSync(path.join(dir, 'console.json')).mode & 0o777, 0o600);
  assert.deepEqual(
    fs.readdirSync(dir).filter((f) => f.endsWith('.tmp')),
    [],
  );
});

test('a change that breaks the schema is refused and nothing is written', async (t) => {
  const dir = dataDir(t);
  const settings = await ConsoleSettings.open({ dataDir: dir });
  await assert.rejects(
    settings.update((draft) => {
      draft.revoked['someone'] = { by: 'ada', at: 1 };
    }),
  );
  assert.deepEqual(settings.data.revoked, {});
  assert.equal(fs.existsSync(path.join(dir, 'console.json')), false);
});

test('a console.json that does not parse stops the hub, naming the file and field, and is kept', async (t) => {
  const dir = dataDir(t);
  const file = path.join(dir, 'console.json');
  fs.writeFileSync(file, '{"virtualServers": {"x": {"tools": "all"}}}');
  await assert.rejects(
    ConsoleSettings.open({ dataDir: dir }),
    (error: unknown) =>
      error instanceof PlexusError &&
      error.message.includes(file) &&
      /virtualServers\.x\.tools/.test(error.message),
  );
  fs.writeFileSync(file, '{ not json');
  await assert.rejects(ConsoleSettings.open({ dataDir: dir }), /not valid JSON/);
  assert.equal(fs.readFileSync(file, 'utf8'), '{ not json');
});

test('on PostgreSQL, replicas share the settings: seeded from console.json, changes seen, none lost', async (t) => {
  const databaseUrl = await freshPgDatabase(t);
  if (!databaseUrl) return;
  // The first replica brings the settings it kept in its console.json until now.
  const dirA = dataDir(t);
  fs.writeFileSync(path.join(dirA, 'console.json'), JSON.stringify({ disabledServers: ['memory'] }));
  const a = await ConsoleSettings.open({ dataDir: dirA, databaseUrl });
  t.after(() => a.close());
  const dirB = dataDir(t);
  const b = await ConsoleSettings.open({ dataDir: dirB, databaseUrl });
  t.after(() => b.close());
  assert.deepEqual(b.data.disabledServers, ['memory']);
  assert.equal(await b.refresh(), false);

  await a.update((draft) => {
    draft.virtualServers['observer'] = { tools: ['router__fetch_events'] };
  });
  assert.equal(await b.refresh(), true);
  assert.deepEqual(b.data.virtualServers, { observer: { tools: ['router__fetch_events'] } });

  // Both change at once from what they last read: the later writer applies its change to the other's.
  await a.update((draft) => {
    draft.disabledTools.push('router__publish_event');
  });
  await b.update((draft) => {
    draft.revoked['operator:ci'] = { by: 'ada', at: 1 };
  });
  await a.refresh();
  assert.deepEqual(a.data.disabledTools, ['router__publish_event']);
  assert.deepEqual(Object.keys(a.data.revoked), ['operator:ci']);
  assert.deepEqual(a.data, b.data);
  // Nothing written to the second replica's data dir: the settings live in the database.
  assert.equal(fs.existsSync(path.join(dirB, 'console.json')), false);
});
