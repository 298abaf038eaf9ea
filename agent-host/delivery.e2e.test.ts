import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createEnvelope } from '../lib/crypto/envelope.ts';
import { createIdentityFile, loadIdentityFile, type LoadedIdentity } from '../lib/identity/identity-file.ts';
import { silentLogger } from '../lib/log.ts';
import { initAgent, launch, runCli, stop, type Proc } from '../test/helpers/plexus-process.ts';
import { freePort } from '../test/helpers/ports.ts';
import { CHAT_TYPE } from './chat.ts';
import { HubSession } from './hub-session.ts';
import { ensureIdentityRegistered } from './registration.ts';

// A brain that takes a little while per message (so work piles up behind it) and then records the id. A message
// handed over again after a kill comes flagged `redelivered`; it is recorded unless it already was, as a brain
// whose effects must not repeat would do.
const BRAIN = `
import fs from 'node:fs';
import path from 'node:path';
export function createBrain({ dataDir }) {
  const handled = path.join(dataDir, 'handled.txt');
  const seen = (id) => fs.existsSync(handled) && fs.readFileSync(handled, 'utf8').split('\\n').includes(id);
  return {
    async onMessage(msg) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      if (msg.redelivered) {
        fs.appendFileSync(path.join(dataDir, 'redelivered.txt'), msg.id + '\\n');
        if (seen(msg.id)) return;
      }
      fs.appendFileSync(handled, msg.id + '\\n');
      process.stdout.write('handled ' + msg.id + '\\n');
    },
    async onTask() {
      return { state: 'failed', error: 'no tasks here' };
    },
  };
}
`;

/**
 * What reaches an agent's brain, with real processes: a hub killed and restarted under steady traffic while
 * the receiving agent is killed once too, a hub that rate-limits every request, and topic deliveries.
 */
describe('every message the router accepted reaches the brain once', { timeout: 300_000 }, () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'plexus-delivery-e2e-'));
  const passphrase = `delivery-${process.pid}`;
  const brain = path.join(root, 'brain.mjs');
  const procs: Proc[] = [];
  let hub: Proc;
  let hubUrl = '';
  let port = 0;
  let sender: LoadedIdentity;
  let session: HubSession | null = null;

  async function startHub(env: Record<string, string> = {}): Promise<void> {
    hub = launch(
      ['hub', '--port', String(port), '--data', path.join(root, 'hub'), '--log-level', 'warn'],
      env,
      root,
    );
    procs.push(hub);
    hubUrl = /listening on (http:\/\/\S+)/.exec(await hub.waitFor(/listening on (http:\/\/\S+)/))?.[1] ?? '';
  }

  /** Kills the hub outright (no shutdown of any kind) and drops the test's session with it. */
  async function killHub(): Promise<void> {
    hub.child.kill('SIGKILL');
    await hub.exited;
    void session?.close();
    session = null;
  }

  async function hubSession(identity = sender): Promise<HubSession> {
    const opened = new HubSession({ hubUrl, identity, log: silentLogger, timeoutMs: 30_000 });
    await opened.open();
    return opened;
  }

  async function startAgent(name: string, env: Record<string, string> = {}): Promise<Proc> {
    const proc = launch(
      ['agent', 'start', '--dir', name, '--brain', brain],
      {
        PLEXUS_HUB: hubUrl,
        PLEXUS_PASSPHRASE: passphrase,
        PLEXUS_INBOX_POLL_MS: '200',
        PLEXUS_RECONNECT_INTERVAL_MS: '200',
        ...env,
      },
      root,
    );
    procs.push(proc);
    await proc.waitFor(/^agent ready/);
    return proc;
  }

  /** A new agent `name`: its DID and the key-agreement key its card publishes. */
  async function newAgent(name: string): Promise<{ did: string; key: string }> {
    const did = await initAgent(root, name, { passphrase, config: { defaultTools: false } });
    const file = JSON.parse(fs.readFileSync(path.join(root, name, 'identity.json'), 'utf8')) as {
      card: { keyAgreement: string };
    };
    return { did, key: file.card.keyAgreement };
  }

  /** Sends `count` sealed chat messages to `to` in one batch; returns the ids the router accepted. */
  async function send(
    to: { did: string; key: string },
    count: number,
    sent?: Set<string>,
  ): Promise<string[]> {
    const envelopes = Array.from({ length: count }, (_, i) =>
      createEnvelope(
        { did: sender.did, secretKey: sender.keys.signing.secretKey },
        { type: CHAT_TYPE, recipient: to.did, content: { text: `message ${i}` }, sealTo: to.key },
      ),
    );
    for (const envelope of envelopes) sent?.add(envelope.id);
    session ??= await hubSession();
    const { results } = await session.servers.router.sendMessages({ envelopes });
    return results.flatMap((result) => (result.status === 'accepted' ? [result.id] : []));
  }

  function ids(name: string, file: 'handled' | 'redelivered'): string[] {
    const full = path.join(root, name, 'data', `${file}.txt`);
    return fs.existsSync(full) ? fs.readFileSync(full, 'utf8').split('\n').filter(Boolean) : [];
  }

  /** The JSON lines of an agent's log. */
  function logOf(name: string): { msg: string; [key: string]: unknown }[] {
    return fs
      .readFileSync(path.join(root, name, 'logs', 'agent.log'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { msg: string });
  }

  /** Every accepted id handled, none twice, none that was never sent. */
  function assertHandledOnce(name: string, accepted: readonly string[], sent: ReadonlySet<string>): void {
    const handled = ids(name, 'handled');
    assert.equal(new Set(handled).size, handled.length, 'no message is handled twice');
    const got = new Set(handled);
    assert.deepEqual(
      accepted.filter((id) => !got.has(id)),
      [],
      'every accepted message is handled',
    );
    assert.deepEqual(
      handled.filter((id) => !sent.has(id)),
      [],
    );
  }

  before(async () => {
    fs.writeFileSync(brain, BRAIN);
    port = await freePort(); // outside the ephemeral range: every restart reuses it
    await startHub();
    const file = path.join(root, 'sender.json');
    sender = createIdentityFile(file, { name: 'sender', role: 'tester' });
    session = await hubSession();
    await ensureIdentityRegistered(session, file, sender, silentLogger);
  });

  after(async () => {
    await session?.close();
    for (const proc of procs.reverse()) await stop(proc);
    fs.rmSync(root, { recursive: true, force: true });
  });

  /** Calls of router__receive_messages the hub has answered (a call still open is not counted). */
  async function receiveCallsAnswered(): Promise<number> {
    const token = fs.readFileSync(path.join(root, 'hub', 'operator-token'), 'utf8').trim();
    const response = await fetch(`${hubUrl}/metrics`, { headers: { Authorization: `Bearer ${token}` } });
    assert.equal(response.status, 200);
    const counted = /^plexus_mcp_requests_total\{[^}]*tool="receive_messages"[^}]*\} (\d+)$/gm;
    let total = 0;
    for (const [, value] of (await response.text()).matchAll(counted)) total += Number(value);
    return total;
  }

  /** Sends a round of two messages to each of `agents` and waits until each agent handled its last. */
  async function sendRound(agents: { did: string; key: string; proc: Proc }[], sent: Set<string>) {
    const accepted: string[][] = [];
    for (const agent of agents) accepted.push(await send(agent, 2, sent));
    for (const [i, agent] of agents.entries())
      await agent.proc.waitFor(new RegExp(`^handled ${accepted[i]!.at(-1)}$`));
    return accepted;
  }

  test('two agents each receive round after round on one open receive_messages call, every message once', async () => {
    const names = ['grace', 'heidi'];
    const made = await Promise.all(names.map((name) => newAgent(name)));
    // Ten minutes between polls: only the calls out at the router can bring the messages within the test.
    const procs = await Promise.all(
      names.map((name) =>
        startAgent(name, { PLEXUS_INBOX_POLL_MS: '600000', PLEXUS_RECONNECT_INTERVAL_MS: '600000' }),
      ),
    );
    const agents = made.map((agent, i) => ({ ...agent, proc: procs[i]! }));
    const sent = new Set<string>();
    const accepted: string[][] = [[], []];
    const answeredBefore = await receiveCallsAnswered();
    const rounds = 3;
    for (let round = 0; round < rounds; round++)
      for (const [i, ids] of (await sendRound(agents, sent)).entries()) accepted[i]!.push(...ids);
    // A page per call would have answered each agent's call at least once a round; following, the calls
    // stay open (they end only when their 25 s are up).
    assert.ok(
      (await receiveCallsAnswered()) - answeredBefore < rounds * agents.length,
      'the pages came on calls still open',
    );
    await Promise.all(procs.map((proc) => stop(proc)));
    for (const [i, name] of names.entries()) {
      assertHandledOnce(name, accepted[i]!, sent);
      const connected = logOf(name).find((entry) => entry.msg === 'connected');
      assert.equal(connected?.['inbox'], 'receive');
    }
  });

  test('mail reaches a connected agent on its receive_messages call out at the router, not at a poll', async () => {
    const erin = await newAgent('erin');
    // Ten minutes between polls: only the receive out at the router can bring the message within the test.
    const erinProc = await startAgent('erin', {
      PLEXUS_INBOX_POLL_MS: '600000',
      PLEXUS_RECONNECT_INTERVAL_MS: '600000',
    });
    assert.ok(erinProc.lines.some((line) => /^connected to \S+ \(MCP 2026-07-28\) as erin /.test(line)));
    const [id] = await send(erin, 1);
    await erinProc.waitFor(new RegExp(`^handled ${id}$`));
    await stop(erinProc);
    const connected = logOf('erin').find((entry) => entry.msg === 'connected');
    assert.deepEqual(
      [connected?.['protocol'], connected?.['updates'], connected?.['inbox']],
      ['2026-07-28', 'listen', 'receive'],
    );
  });

  test('a topic delivery reaches a following agent; one to an agent that does not follow it stays unacked', async () => {
    const [, dave] = await Promise.all([newAgent('alice'), newAgent('dave')]);
    const followed = await runCli(['agent', 'follow', '--dir', 'alice', 'news'], {}, root);
    assert.equal(followed.code, 0, followed.stderr);
    assert.equal(followed.stdout, 'following news\n');
    const [aliceProc, daveProc] = await Promise.all([startAgent('alice'), startAgent('dave')]);
    assert.ok(aliceProc.lines.includes('following news'), 'subscribed at the router when it connected');
    // Another client of dave's identity subscribes it; dave itself does not follow the topic.
    const daveSession = await hubSession(
      loadIdentityFile(path.join(root, 'dave', 'identity.json'), { passphrase }),
    );
    try {
      await daveSession.servers.router.subscribeTopic({ topic: 'news' });
      const publish = async (text: string) => {
        session ??= await hubSession();
        return session.servers.router.publish({
          envelope: createEnvelope(
            { did: sender.did, secretKey: sender.keys.signing.secretKey },
            { type: CHAT_TYPE, recipient: 'topic:news', content: { text } },
          ),
        });
      };
      const news = await publish('breaking');
      assert.equal(news.delivered, 2);
      await aliceProc.waitFor(new RegExp(`^handled ${news.id}$`));
      assert.ok(aliceProc.lines.includes('message from sender on topic:news: breaking'));

      // Mail sent after it: once dave's brain has that, dave's inbox drain went past the topic delivery.
      const [direct] = await send(dave, 1);
      await daveProc.waitFor(new RegExp(`^handled ${direct}$`));
      assert.deepEqual(ids('dave', 'handled'), [direct]);
      // The ack rides on dave's next receive, once the call that brought the message ends (its 25 s up).
      const waiting = async () => (await daveSession.servers.router.fetchInbox({})).messages.map((m) => m.id);
      let inbox = await waiting();
      for (let tries = 0; inbox.length > 1 && tries < 600; tries++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        inbox = await waiting();
      }
      assert.deepEqual(inbox, [news.id], 'left unacked, to expire');

      // Unfollowed while running: alice takes the edit at her next poll and unsubscribes.
      const mark = aliceProc.lines.length;
      const unfollowed = await runCli(['agent', 'unfollow', '--dir', 'alice', 'news'], {}, root);
      assert.equal(unfollowed.stdout, 'following no topics\n', unfollowed.stderr);
      await aliceProc.waitFor(/^following no topics$/, mark);
      assert.equal((await publish('later')).delivered, 1);
    } finally {
      await daveSession.close();
    }
    await Promise.all([stop(aliceProc), stop(daveProc)]);
  });

  test('the hub killed three times and the agent killed once under steady traffic: each accepted message handled once', async () => {
    const bob = await newAgent('bob');
    let bobProc = await startAgent('bob');
    const sent = new Set<string>();
    const accepted: string[] = [];
    const batches = async (n: number) => {
      for (let i = 0; i < n; i++) accepted.push(...(await send(bob, 20, sent)));
    };
    for (let round = 1; round <= 3; round++) {
      await batches(5);
      if (round === 2) {
        // Killed while its brain is at work, with stored messages behind it that the brain has not had yet.
        await bobProc.waitFor(/^handled /, bobProc.lines.length);
        bobProc.child.kill('SIGKILL');
        await bobProc.exited;
        await batches(3);
        bobProc = await startAgent('bob');
        assert.ok(
          bobProc.lines.some((line) => /^\d+ stored message\(s\) not handled yet; resuming them$/.test(line)),
          'the restarted agent had stored messages to resume',
        );
      }
      // Killed while batches accepted a moment ago are being fetched, stored, acked and handled.
      await killHub();
      await startHub();
    }
    await batches(5);
    await bobProc.waitFor(new RegExp(`^handled ${accepted.at(-1)}$`));
    await stop(bobProc);
    assertHandledOnce('bob', accepted, sent);
    assert.ok(ids('bob', 'redelivered').length <= 1, 'only the message in the brain at the kill came again');
  });

  test('a hub that answers 429 to a receive (and most else) slows the agent down without a reconnect; all is handled', async () => {
    await killHub();
    // One request at a time, two a second, per identity: the receive right after a page is refused.
    await startHub({ PLEXUS_RATE_BURST: '1', PLEXUS_RATE_PER_SECOND: '2' });
    const carol = await newAgent('carol');
    const [carolProc] = await Promise.all([startAgent('carol'), hubSession().then((s) => (session = s))]);
    const sent = new Set<string>();
    const accepted = await send(carol, 30, sent);
    await carolProc.waitFor(new RegExp(`^handled ${accepted.at(-1)}$`));
    await stop(carolProc);
    assertHandledOnce('carol', accepted, sent);
    assert.ok(!carolProc.lines.some((line) => /connection lost/.test(line)), 'a busy hub is not a lost one');
    const busy = logOf('carol').filter((entry) => entry.msg === 'hub busy; waiting');
    assert.ok(
      busy.some((entry) => entry.status === 429 && entry.request === 'tools/call router__receive_messages'),
      'a receive (carrying the last page’s ack) was answered 429',
    );
  });

  test('against a router whose receive_messages has no follow_ms the agent receives a page per call, as before', async () => {
    await killHub();
    // Switched off in the router's settings, follow_ms is not listed, as at a router older than it.
    const config = path.join(root, 'older-router.json');
    fs.writeFileSync(
      config,
      JSON.stringify({ servers: { router: { settings: { receive_follow: false } } } }),
    );
    await startHub({ PLEXUS_CONFIG: config });
    const ivan = await newAgent('ivan');
    const proc = await startAgent('ivan', {
      PLEXUS_INBOX_POLL_MS: '600000',
      PLEXUS_RECONNECT_INTERVAL_MS: '600000',
    });
    const sent = new Set<string>();
    const answeredBefore = await receiveCallsAnswered();
    const accepted: string[] = [];
    for (let round = 0; round < 2; round++)
      accepted.push(...(await sendRound([{ ...ivan, proc }], sent))[0]!);
    // Each round's mail answered the call waiting for it.
    assert.ok((await receiveCallsAnswered()) - answeredBefore >= 2);
    await stop(proc);
    assertHandledOnce('ivan', accepted, sent);
  });

  test('against a hub without receive_messages the agent drains its inbox on notifications, as before', async () => {
    await killHub();
    // Switched off at the hub, the tool is unknown there, as at a hub older than it.
    const settings = path.join(root, 'hub', 'console.json');
    fs.writeFileSync(settings, JSON.stringify({ disabledTools: ['router__receive_messages'] }));
    try {
      await startHub();
      const frank = await newAgent('frank');
      // Ten minutes between polls: only the inbox notification can bring the messages within the test.
      const frankProc = await startAgent('frank', {
        PLEXUS_INBOX_POLL_MS: '600000',
        PLEXUS_RECONNECT_INTERVAL_MS: '600000',
      });
      const sent = new Set<string>();
      const accepted = await send(frank, 3, sent);
      await frankProc.waitFor(new RegExp(`^handled ${accepted.at(-1)}$`));
      await stop(frankProc);
      assertHandledOnce('frank', accepted, sent);
      const connected = logOf('frank').find((entry) => entry.msg === 'connected');
      assert.deepEqual([connected?.['updates'], connected?.['inbox']], ['listen', 'fetch']);
      // Handled is not yet acked: the ack follows the store, so wait for the inbox to empty.
      const frankSession = await hubSession(
        loadIdentityFile(path.join(root, 'frank', 'identity.json'), { passphrase }),
      );
      try {
        let left = (await frankSession.servers.router.fetchInbox({})).messages.length;
        for (let tries = 0; left > 0 && tries < 600; tries++) {
          await new Promise((resolve) => setTimeout(resolve, 100));
          left = (await frankSession.servers.router.fetchInbox({})).messages.length;
        }
        assert.equal(left, 0, 'every message acked with ack_messages');
      } finally {
        await frankSession.close();
      }
    } finally {
      fs.rmSync(settings, { force: true });
    }
  });
});
