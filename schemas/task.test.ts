import { describe, test } from 'node:test';
import { generateIdentityKeys } from '../lib/crypto/identity-keys.ts';
import { uuidv7 } from '../lib/crypto/uuidv7.ts';
import { Task, TASK_STATES } from './task.ts';
import { REMOVE, assertAccepts, assertRejects, withField } from './testing.ts';

const requester = generateIdentityKeys().did;
const assignee = generateIdentityKeys().did;
const T = 1_760_000_000_000;
const task: Task = {
  id: uuidv7(T),
  capability: 'summarize',
  input: { url: 'https://example.com' },
  requester,
  assignee,
  state: 'working',
  deadline: T + 60_000,
  attempts: 1,
  max_attempts: 3,
  result: null,
  error: null,
  history: [
    { state: 'submitted', at: T, by: requester },
    { state: 'working', at: T + 10, by: 'service:registry', note: 'matched' },
  ],
  created_at: T,
  updated_at: T + 10,
};

describe('Task schema', () => {
  test('accepts a task in every A2A state', () => {
    for (const state of TASK_STATES) assertAccepts(Task, { ...task, state });
    assertAccepts(Task, { ...task, assignee: null, deadline: null });
    assertAccepts(Task, { ...task, state: 'failed', error: { code: 'timeout', message: 'deadline passed' } });
  });

  const rejections: [string, unknown, string?][] = [
    ['id', 'task-1'],
    ['capability', 'Summarize'],
    ['input', { x: Number.POSITIVE_INFINITY }],
    ['input', 'x'.repeat(49 * 1024)],
    ['requester', 'alice'],
    ['assignee', 'did:web:x'],
    ['assignee', REMOVE],
    ['state', 'done'],
    ['state', 'cancelled'],
    ['deadline', -1],
    ['attempts', -1],
    ['attempts', 4, 'attempts'],
    ['max_attempts', 0],
    ['max_attempts', 21],
    ['error', { code: '', message: 'x' }, 'error.code'],
    ['error', 'boom'],
    ['history', [{ state: 'bogus', at: T, by: requester }], 'history.0.state'],
    ['history', [{ state: 'working', at: 'now', by: requester }], 'history.0.at'],
    ['history', [{ state: 'working', at: T, by: '' }], 'history.0.by'],
    ['created_at', 1.1],
    ['updated_at', T - 1],
  ];
  for (const [path, value, field] of rejections) {
    test(`rejects ${path} = ${typeof value === 'symbol' ? '(removed)' : JSON.stringify(value)?.slice(0, 40)}`, () =>
      assertRejects(Task, withField(task, path, value), field ?? path));
  }
});
