import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InFlight } from './in-flight.ts';

test('each identity runs at most the limit at once; ending frees a place, once', () => {
  const inFlight = new InFlight(2);
  const a1 = inFlight.begin('a');
  const a2 = inFlight.begin('a');
  assert.ok(a1 && a2);
  assert.equal(inFlight.begin('a'), null, 'a third request of the same identity is refused');
  assert.ok(inFlight.begin('b'), 'another identity is not affected');
  a1();
  a1();
  assert.equal(inFlight.running('a'), 1, 'ending twice frees one place only');
  assert.ok(inFlight.begin('a'));
  a2();
  assert.equal(inFlight.running('a'), 1);
});
