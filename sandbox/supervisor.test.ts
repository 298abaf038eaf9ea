import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { PlexusError } from '../lib/errors.ts';
import { silentLogger } from '../lib/log.ts';
import { processRuns } from '../lib/pid.ts';
import { bareGrant, type Grant } from './permissions.ts';
import { Supervisor } from './supervisor.ts';
import { tempDir } from './test-support.ts';
import type { ToolCode } from './worker/protocol.ts';

const GRANT: Grant = bareGrant({ memoryMb: 16, timeMs: 3000 });

function code(name: string, source: string, grant: Partial<Grant> = {}): ToolCode {
  return { key: `${name}#1`, name, scope: `test/${name}`, source, grant: { ...GRANT, ...grant } };
}

const ECHO = code('echo', 'export default (input) => ({ echo: input.text });');
const HANG = code('hang', 'export default () => new Promise(() => {});');

function supervisor(
  t: { after(fn: () => Promise<void>): void },
  options: { workers?: number; maxQueue?: number; workerMemoryMb?: number } = {},
): Supervisor {
  const dir = tempDir(t);
  const s = new Supervisor({
    workers: options.workers ?? 1,
    maxQueue: options.maxQueue ?? 16,
    workerMemoryMb: options.workerMemoryMb ?? 1024,
    log: silentLogger,
    worker: { kvPath: path.join(dir, 'kv.sqlite'), hosts: {}, fetchMaxBytes: 1024, fetchTimeoutMs: 1000 },
  });
  t.after(() => s.close());
  return s;
}

test('a worker killed from outside mid-call fails that call and is replaced', async (t) => {
  const s = supervisor(t);
  await s.ready();
  const [pid] = s.pids();
  assert.ok(pid);
  const pending = s.run(HANG, {}, 1024);
  // Wait until the call is on the worker, then kill the worker.
  while (s.queued > 0) await new Promise((resolve) => setImmediate(resolve));
  process.kill(pid, 'SIGKILL');
  const outcome = await pending;
  assert.equal(outcome.ok, false);
  assert.equal(!outcome.ok && outcome.error.code, 'worker_crashed');
  const after = await s.run(ECHO, { text: 'hi' }, 1024);
  assert.deepEqual(after.ok && after.output, { echo: 'hi' });
  assert.notEqual(s.pids()[0], pid);
  assert.equal(processRuns(pid), false);
});

test('a worker past its memory budget is replaced after its call', async (t) => {
  const s = supervisor(t, { workerMemoryMb: 64 });
  await s.ready();
  const [before] = s.pids();
  const outcome = await s.run(
    code('alloc', 'export default () => ({ n: new Array(1e6).fill(1).length });', { memoryMb: 64 }),
    {},
    1024,
  );
  assert.equal(outcome.ok, true);
  const next = await s.run(ECHO, { text: 'again' }, 1024);
  assert.deepEqual(next.ok && next.output, { echo: 'again' });
  assert.notEqual(s.pids()[0], before);
  assert.equal(processRuns(before!), false);
});

test('close fails queued calls and stops every worker', async (t) => {
  const s = supervisor(t, { workers: 1 });
  await s.ready();
  const pids = s.pids();
  const running = s.run(HANG, {}, 1024);
  const queued = s.run(ECHO, { text: 'never' }, 1024);
  const refused = assert.rejects(
    queued,
    (error: unknown) => error instanceof PlexusError && error.code === 'sandbox_closed',
  );
  await s.close();
  await refused;
  const outcome = await running;
  assert.equal(!outcome.ok && outcome.error.code, 'worker_crashed');
  for (const pid of pids) assert.equal(processRuns(pid), false);
  await assert.rejects(s.run(ECHO, { text: 'late' }, 1024), /shut down/);
});
