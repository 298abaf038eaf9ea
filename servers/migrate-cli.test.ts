import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import pg from 'pg';
import { freshPgDatabase } from '../test/helpers/services.ts';

const BIN = new URL('../bin/plexus.ts', import.meta.url).pathname;

function plexus(args: string[], env: Record<string, string>): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--no-node-snapshot', BIN, ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code: code ?? -1, stderr }));
  });
}

test('plexus migrate creates every store schema and is idempotent', async (t) => {
  const url = await freshPgDatabase(t);
  if (!url) return;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plexus-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const env = { PLEXUS_DATABASE_URL: url, PLEXUS_DATA: dir, PLEXUS_REDIS_URL: '' };
  const first = await plexus(['migrate'], env);
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stderr, /up to date: identity, router, registry, memory/);

  const client = new pg.Client({ connectionString: url });
  client.on('error', () => {});
  await client.connect();
  t.after(() => client.end());
  const { rows } = await client.query<{ table_name: string }>(
    "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'",
  );
  const tables = new Set(rows.map((r) => r.table_name));
  for (const prefix of ['identity', 'router', 'registry', 'memory']) {
    assert.ok(
      [...tables].some((name) => name.startsWith(prefix) || name.includes(prefix)),
      `no ${prefix} table in ${[...tables].join(', ')}`,
    );
  }
  const again = await plexus(['migrate'], env);
  assert.equal(again.code, 0, again.stderr);
});

test('plexus migrate without a database URL is a usage error', async () => {
  const result = await plexus(['migrate'], { PLEXUS_DATABASE_URL: '' });
  assert.equal(result.code, 2);
  assert.match(result.stderr, /PLEXUS_DATABASE_URL/);
});
