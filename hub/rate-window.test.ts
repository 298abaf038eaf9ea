import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RateWindow } from './rate-window.ts';

test('the rate is the mean over the window; what left the window no longer counts', () => {
  const window = new RateWindow(10);
  const t0 = 1_000_000;
  assert.equal(window.perSecond(t0), 0);
  window.record(5, t0);
  window.record(5, t0 + 400);
  window.record(10, t0 + 3_000);
  assert.equal(window.perSecond(t0 + 3_000), 2);
  // t0's second leaves the window ten seconds later; t0+3s's stays until thirteen.
  assert.equal(window.perSecond(t0 + 10_000), 1);
  assert.equal(window.perSecond(t0 + 13_000), 0);
  // A bucket reused for a later second starts from zero.
  window.record(3, t0 + 20_000);
  assert.equal(window.perSecond(t0 + 20_000), 0.3);
});
