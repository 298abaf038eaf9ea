import assert from 'node:assert/strict';
import { test } from 'node:test';
import { retryAfterMs } from './retry-after.ts';

test('Retry-After: delay seconds, an HTTP date, and nothing readable', () => {
  const now = Date.parse('2026-12-06T10:00:00Z');
  assert.equal(retryAfterMs('1', now), 1000);
  assert.equal(retryAfterMs(' 30 ', now), 30_000);
  assert.equal(retryAfterMs('0', now), 0);
  assert.equal(retryAfterMs('Sun, 06 Dec 2026 10:00:05 GMT', now), 5000);
  assert.equal(retryAfterMs('Sun, 06 Dec 2026 09:59:00 GMT', now), 0, 'a past date means now');
  for (const unreadable of [null, undefined, '', '-1', '1.5', 'soon', 'tomorrow 9am'])
    assert.equal(retryAfterMs(unreadable, now), null, String(unreadable));
});
