import assert from 'node:assert/strict';
import { test } from 'node:test';
import { messageFlow } from './message-flow.ts';

test('message flow is read from the router results, counts only', () => {
  assert.deepEqual(messageFlow('send_message', { id: 'x', recipient: 'did:key:z', delivered: 1 }), {
    sent: 1,
    delivered: 1,
    acked: 0,
  });
  assert.deepEqual(messageFlow('publish', { id: 'x', topic: 't', delivered: 3 }), {
    sent: 1,
    delivered: 3,
    acked: 0,
  });
  assert.deepEqual(
    messageFlow('send_messages', {
      accepted: 2,
      rejected: 1,
      results: [
        { status: 'accepted', id: 'a', delivered: 1 },
        { status: 'rejected', id: null, code: 'replay', message: 'seen' },
        { status: 'accepted', id: 'b', delivered: 4 },
      ],
    }),
    { sent: 2, delivered: 5, acked: 0 },
  );
  assert.deepEqual(messageFlow('ack_messages', { acked: ['a', 'b'], unknown: ['c'] }), {
    sent: 0,
    delivered: 0,
    acked: 2,
  });
  assert.deepEqual(messageFlow('receive_messages', { messages: [{}], cursor: 'c', more: false, acked: 3 }), {
    sent: 0,
    delivered: 0,
    acked: 3,
  });
  assert.equal(messageFlow('fetch_inbox', { messages: [] }), null);
  assert.deepEqual(messageFlow('send_message', undefined), { sent: 1, delivered: 0, acked: 0 });
});
