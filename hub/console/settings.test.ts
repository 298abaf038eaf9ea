import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { PlexusError } from '../../lib/errors.ts';
import { ConsoleSettings } from './settings.ts';

function dataDir(t: { after(fn: () => void): void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plexus-console-settings-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('console settings survive a restart, owner-only, written whole', async (t) => {
  const dir = dataDir(t);
  const settings = ConsoleSettings.open(dir);
  assert.deepEqual(settings.data.virtualServers, {});
  await settings.update((draft) => {
    draft.virtualServers['observer'] = { tools: ['router__fetch_events'] };
    draft.disabledTools.push('router__publish_event');
    draft.revoked['operator:ci'] = { by: 'ada', at: 1 };
  });
  const again = ConsoleSettings.open(dir);
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
  const settings = ConsoleSettings.open(dir);
  assert.throws(() =>
    settings.update((draft) => {
      draft.revoked['someone'] = { by: 'ada', at: 1 };
    }),
  );
  assert.deepEqual(settings.data.revoked, {});
  assert.equal(fs.existsSync(path.join(dir, 'console.json')), false);
});

test('a console.json that does not parse stops the hub, naming the file and field, and is kept', (t) => {
  const dir = dataDir(t);
  const file = path.join(dir, 'console.json');
  fs.writeFileSync(file, '{"virtualServers": {"x": {"tools": "all"}}}');
  assert.throws(
    () => ConsoleSettings.open(dir),
    (error: unknown) =>
      error instanceof PlexusError &&
      error.message.includes(file) &&
      /virtualServers\.x\.tools/.test(error.message),
  );
  fs.writeFileSync(file, '{ not json');
  assert.throws(() => ConsoleSettings.open(dir), /not valid JSON/);
  assert.equal(fs.readFileSync(file, 'utf8'), '{ not json');
});
