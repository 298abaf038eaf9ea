import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { freshPgDatabase, freshRedisPrefix } from '../helpers/services.ts';
import { measureScaleOutMessages } from '../../bench/scale-out.ts';

test('the scale-out message measurement delivers every message across replicas', async (t) => {
  const databaseUrl = await freshPgDatabase(t);
  const redis = await freshRedisPrefix(t);
  if (!databaseUrl || !redis) return;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'plexus-'));
  t.after(() => fs.rmSync(dataDir, { recursive: true, force: true }));
  const figures = await measureScaleOutMessages({
    databaseUrl,
    redisUrl: redis.url,
    dataDir,
    messages: 300,
    wakeSamples: 5,
  });
  assert.equal(figures.messages, 300);
  for (const value of [
    figures.sendPerSecond,
    figures.deliverPerSecond,
    figures.wakeP50Ms,
    figures.wakeP95Ms,
  ]) {
    assert.ok(Number.isFinite(value) && value > 0, JSON.stringify(figures));
  }
});
