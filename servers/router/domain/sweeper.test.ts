import assert from 'node:assert/strict';
import { test } from 'node:test';
import { silentLogger } from '../../../lib/log.ts';
import { startSweeper } from './sweeper.ts';

test('the sweeper runs on its interval, never overlaps itself, and stops', async (t) => {
  t.mock.timers.enable({ apis: ['setInterval'] });
  let runs = 0;
  let release: (() => void) | null = null;
  const sweeper = startSweeper(
    () => {
      runs += 1;
      return new Promise<void>((resolve) => (release = resolve));
    },
    1000,
    silentLogger,
  );
  t.after(() => sweeper.stop());
  t.mock.timers.tick(999);
  assert.equal(runs, 0);
  t.mock.timers.tick(1);
  assert.equal(runs, 1);
  t.mock.timers.tick(3000); // still running: skipped, not queued
  assert.equal(runs, 1);
  release!();
  await Promise.resolve();
  await Promise.resolve();
  t.mock.timers.tick(1000);
  assert.equal(runs, 2);
  release!();
  sweeper.stop();
  t.mock.timers.tick(5000);
  assert.equal(runs, 2);
});

test('a failing sweep is logged and the next one still runs', async (t) => {
  t.mock.timers.enable({ apis: ['setInterval'] });
  let runs = 0;
  const sweeper = startSweeper(
    () => {
      runs += 1;
      return Promise.reject(new Error('disk full'));
    },
    10,
    silentLogger,
  );
  t.after(() => sweeper.stop());
  t.mock.timers.tick(10);
  await new Promise<void>((resolve) => setImmediate(resolve));
  t.mock.timers.tick(10);
  assert.equal(runs, 2);
});
