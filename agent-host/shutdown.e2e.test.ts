import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createIdentityFile } from '../lib/identity/identity-file.ts';
import { silentLogger } from '../lib/log.ts';
import type { Task } from '../schemas/task.ts';
import { initAgent, launch, stop, type Proc } from '../test/helpers/plexus-process.ts';
import { HubSession } from './hub-session.ts';
import { ensureIdentityRegistered } from './registration.ts';

// A brain that works on a task for `input.ms` when it is the one named in `input.slow_on` (until its work is
// no longer wanted), and at once otherwise.
const SLOW_BRAIN = `
export function createBrain() {
  return {
    async onMessage() {},
    async onTask(task, ctx) {
      const input = task.input ?? {};
      if (input.slow_on === ctx.name) {
        await new Promise((resolve) => {
          const timer = setTimeout(resolve, input.ms);
          ctx.signal.addEventListener('abort', () => { clearTimeout(timer); resolve(); }, { once: true });
        });
        if (ctx.signal.aborted) return { state: 'failed', error: 'stopped' };
      }
      return { state: 'completed', result: { by: ctx.name } };
    },
  };
}
`;

const FINAL = ['completed', 'failed', 'rejected', 'canceled'];

/**
 * Stopping an agent (SIGTERM) with a task in flight, with real processes: the task finishes when it can
 * within the grace period; otherwise it is handed back and the registry gives it to another agent.
 */
describe('an agent that stops finishes its tasks or hands them back', { timeout: 300_000 }, () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'plexus-shutdown-e2e-'));
  const passphrase = `shutdown-${process.pid}`;
  const brain = path.join(root, 'slow-brain.mjs');
  const procs: Proc[] = [];
  const dids = new Map<string, string>();
  let hubUrl = '';
  let boss: HubSession;

  async function startWorker(name: string, env: Record<string, string> = {}): Promise<Proc> {
    const proc = launch(
      ['agent', 'start', '--dir', name, '--brain', brain],
      { PLEXUS_HUB: hubUrl, PLEXUS_PASSPHRASE: passphrase, PLEXUS_INBOX_POLL_MS: '200', ...env },
      root,
    );
    procs.push(proc);
    await proc.waitFor(/^agent ready/);
    return proc;
  }

  async function dispatch(input: { slow_on: string; ms: number }, preferred: string): Promise<string> {
    const { task } = await boss.servers.registry.dispatchTask({
      capability: 'slow',
      input,
      preferred_agents: [dids.get(preferred) ?? ''],
    });
    return task.id;
  }

  async function waitTask(id: string, done: (task: Task) => boolean): Promise<Task> {
    for (;;) {
      const { task } = await boss.servers.registry.getTask({ id });
      if (done(task)) return task;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** w1 (with this shutdown grace) working on a ten-minute task, and w2 online to take it over. */
  async function tenMinuteTaskOnW1(grace: string): Promise<{ w1: Proc; w2: Proc; id: string }> {
    const w1 = await startWorker('w1', { PLEXUS_SHUTDOWN_GRACE_MS: grace });
    const w2 = await startWorker('w2');
    const id = await dispatch({ slow_on: 'w1', ms: 600_000 }, 'w1');
    await waitTask(id, (task) => task.state === 'working' && task.assignee === dids.get('w1'));
    return { w1, w2, id };
  }

  before(async () => {
    fs.writeFileSync(brain, SLOW_BRAIN);
    const hub = launch(
      ['hub', '--port', '0', '--data', path.join(root, 'hub'), '--log-level', 'warn'],
      {},
      root,
    );
    procs.push(hub);
    hubUrl = /listening on (http:\/\/\S+)/.exec(await hub.waitFor(/listening on (http:\/\/\S+)/))?.[1] ?? '';
    for (const name of ['w1', 'w2']) {
      const args = ['--capability', 'slow'];
      dids.set(name, await initAgent(root, name, { passphrase, args, config: { defaultTools: false } }));
    }
    const file = path.join(root, 'boss.json');
    const identity = createIdentityFile(file, { name: 'boss', role: 'requester' });
    boss = new HubSession({ hubUrl, identity, log: silentLogger, timeoutMs: 30_000 });
    await boss.open();
    await ensureIdentityRegistered(boss, file, identity, silentLogger);
  });

  after(async () => {
    await boss?.close();
    for (const p of procs.reverse()) await stop(p);
    fs.rmSync(root, { recursive: true, force: true });
  });

  test('a task in flight is finished before the agent stops', async () => {
    const w1 = await startWorker('w1');
    const id = await dispatch({ slow_on: 'w1', ms: 1_500 }, 'w1');
    await waitTask(id, (task) => task.state === 'working');
    w1.child.kill('SIGTERM');
    assert.equal(await w1.exited, 0);
    assert.ok(w1.lines.some((line) => /^finishing 1 task\(s\) before stopping/.test(line)));
    const done = await waitTask(id, (task) => FINAL.includes(task.state));
    assert.equal(done.state, 'completed');
    assert.deepEqual(done.result, { by: 'w1' });
  });

  test('a task that cannot finish within the grace period is handed back and another agent does it', async () => {
    const { w1, w2, id } = await tenMinuteTaskOnW1('200');
    w1.child.kill('SIGTERM');
    // It stops although its brain meant to work for ten minutes: the brain was told the work is not wanted.
    assert.equal(await w1.exited, 0);
    const done = await waitTask(id, (task) => FINAL.includes(task.state));
    assert.equal(done.state, 'completed');
    assert.equal(done.assignee, dids.get('w2'));
    assert.deepEqual(done.result, { by: 'w2' });
    assert.ok(
      done.history.some((entry) => entry.by === dids.get('w1') && /re-dispatched to/.test(entry.note ?? '')),
      'w1 handed it back',
    );
    await stop(w2);
  });

  test('an agent killed while working on a task hands it back when it starts again', async () => {
    const { w1, w2, id } = await tenMinuteTaskOnW1('600000');
    w1.child.kill('SIGKILL');
    await w1.exited;
    // Its stored assignment says it was running: the work is gone with the process, so it goes back.
    const again = await startWorker('w1');
    await again.waitFor(new RegExp(`^task ${id} handed back \\(interrupted by a restart\\)$`));
    const done = await waitTask(id, (task) => FINAL.includes(task.state));
    assert.equal(done.state, 'completed');
    assert.equal(done.assignee, dids.get('w2'));
    assert.ok(!again.lines.some((line) => line.startsWith(`task ${id} (`)), 'not run again');
    await Promise.all([stop(again), stop(w2)]);
  });

  test('a second signal stops at once: the task is handed back without waiting out the grace period', async () => {
    const { w1, w2, id } = await tenMinuteTaskOnW1('600000');
    w1.child.kill('SIGTERM');
    await w1.waitFor(/^finishing 1 task/);
    w1.child.kill('SIGTERM');
    // Ten minutes of grace and ten of work: only the second signal lets it exit within the test's time.
    assert.equal(await w1.exited, 0);
    const done = await waitTask(id, (task) => FINAL.includes(task.state));
    assert.equal(done.assignee, dids.get('w2'));
    assert.equal(done.state, 'completed');
    await stop(w2);
  });
});
