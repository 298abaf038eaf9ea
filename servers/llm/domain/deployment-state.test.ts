import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DeploymentState, type CooldownPolicy } from './deployment-state.ts';
import { retryDelay } from './retry.ts';

const policy: CooldownPolicy = {
  allowed_failures: 3,
  failure_rate: 0.5,
  min_requests: 4,
  window_ms: 60_000,
  cooldown_ms: 5000,
};

test('three failures inside the window cool the deployment; failures outside it do not count', () => {
  const s = new DeploymentState(0.3);
  assert.equal(s.recordFailure(0, 'overloaded', 'x', true, true, policy), false);
  assert.equal(s.recordFailure(30_000, 'overloaded', 'x', true, true, policy), false);
  // The first failure has left the window by now.
  assert.equal(s.recordFailure(60_001, 'overloaded', 'x', true, true, policy), false);
  assert.equal(s.recordFailure(60_002, 'timeout', 'x', true, true, policy), true);
  assert.equal(s.cooldownUntil, 65_002);
  assert.ok(s.coolingDown(65_001));
  assert.ok(!s.coolingDown(65_002));
});

test('a failure rate of 50% over at least min_requests cools the deployment', () => {
  const s = new DeploymentState(0.3);
  const loose = { ...policy, allowed_failures: 100 };
  s.recordSuccess(0, 10, loose);
  s.recordSuccess(1, 10, loose);
  assert.equal(s.recordFailure(2, 'overloaded', 'x', true, true, loose), false, '1 of 3: below min_requests');
  assert.equal(s.recordFailure(3, 'overloaded', 'x', true, true, loose), true, '2 of 4 = 50%');
});

test('failures that are not the deployment’s fault, or on the only deployment, never cool', () => {
  const s = new DeploymentState(0.3);
  for (let i = 0; i < 5; i++)
    assert.equal(s.recordFailure(i, 'context_window', 'x', false, true, policy), false);
  for (let i = 0; i < 5; i++) assert.equal(s.recordFailure(i, 'overloaded', 'x', true, false, policy), false);
  assert.equal(s.cooldownUntil, 0);
  assert.equal(s.failures, 10);
});

test('time to first token is an exponential moving average', () => {
  const s = new DeploymentState(0.5);
  s.recordTtft(100);
  s.recordTtft(200);
  assert.equal(s.ttftMs, 150);
});

test('retry delay: exponential backoff with jitter, capped, never below Retry-After', () => {
  const p = { max_retries: 3, base_delay_ms: 100, max_delay_ms: 1000 };
  assert.equal(
    retryDelay(0, p, undefined, () => 0),
    50,
  );
  assert.equal(
    retryDelay(0, p, undefined, () => 1),
    100,
  );
  assert.equal(
    retryDelay(2, p, undefined, () => 1),
    400,
  );
  assert.equal(
    retryDelay(10, p, undefined, () => 1),
    1000,
  );
  assert.equal(
    retryDelay(0, p, 700, () => 0),
    700,
  );
  assert.equal(
    retryDelay(0, p, 1001, () => 0),
    null,
  );
});
