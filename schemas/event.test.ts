import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { uuidv7 } from '../lib/crypto/uuidv7.ts';
import { Event, SYSTEM_EVENT_TYPES, SystemEventType } from './event.ts';
import { assertAccepts, assertRejects, withField } from './testing.ts';

const T = 1_760_000_000_000;
const event = {
  id: uuidv7(T),
  type: 'agent.online',
  subject: 'did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK',
  data: { load: 0.2 },
  timestamp: T,
};

describe('Event schema', () => {
  test('accepts every system event type', () => {
    for (const type of SYSTEM_EVENT_TYPES) assertAccepts(Event, { ...event, type });
    assert.ok(SYSTEM_EVENT_TYPES.includes('task.input-required'));
    assert.equal(SystemEventType.safeParse('task.done').success, false);
  });

  test('accepts a new well-formed type', () => {
    assertAccepts(Event, { ...event, type: 'memory.synced' });
  });

  const rejections: [string, unknown][] = [
    ['id', '1'],
    ['type', 'online'],
    ['type', 'Agent.Online'],
    ['type', 'a.' + 'b'.repeat(63)],
    ['subject', ''],
    ['data', [1, 2]],
    ['data', { big: 'x'.repeat(17 * 1024) }],
    ['timestamp', -1],
    ['extra', 1],
  ];
  for (const [path, value] of rejections) {
    test(`rejects ${path} = ${JSON.stringify(value).slice(0, 30)}`, () =>
      assertRejects(Event, withField(event, path, value), path));
  }
});
