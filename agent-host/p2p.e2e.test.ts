import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createClientAssertion } from '../lib/auth/client-assertion.ts';
import { createEnvelope } from '../lib/crypto/envelope.ts';
import { generateIdentityKeys } from '../lib/crypto/identity-keys.ts';
import { loadIdentityFile } from '../lib/identity/identity-file.ts';
import { silentLogger } from '../lib/log.ts';
import { startOllamaServer, type OllamaFixture } from '../test/fixtures/ollama-server.ts';
import { allBytes, initAgent, launch, runCli, stop, type Proc } from '../test/helpers/plexus-process.ts';
import { CHAT_TYPE } from './chat.ts';
import { HubSession } from './hub-session.ts';
import { PeerClients } from './p2p/peer-client.ts';

/**
 * P2P with real processes: a hub and two agents that serve their own MCP endpoints. Messages between them go
 * straight from one agent to the other (the hub never holds them), `ask` gets a model's answer directly, an
 * agent that rotated its key is taken at its new key (and no longer at the old one), and a peer whose
 * endpoint is gone is reached through the hub instead.
 */
describe('agents deliver to each other directly and fall back to the hub', { timeout: 300_000 }, () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'plexus-p2p-e2e-'));
  const hubData = path.join(root, 'hub');
  const passphrase = `p2p-${process.pid}`;
  const procs: Proc[] = [];
  const running = new Map<string, Proc>();
  const dids = new Map<string, string>();
  let ollama: OllamaFixture;
  let hubUrl = '';

  const env = () => ({
    PLEXUS_HUB: hubUrl,
    PLEXUS_PASSPHRASE: passphrase,
    PLEXUS_RECONNECT_INTERVAL_MS: '200',
    PLEXUS_INBOX_POLL_MS: '200',
  });

  async function startAgent(name: string): Promise<{ proc: Proc; endpoint: string }> {
    const proc = launch(['agent', 'start', '--dir', name], env(), root);
    procs.push(proc);
    running.set(name, proc);
    const line = await proc.waitFor(/own endpoint at (http:\/\/\S+)/);
    await proc.waitFor(/^agent ready/);
    return { proc, endpoint: /own endpoint at (http:\/\/\S+)/.exec(line)?.[1] ?? '' };
  }

  function proc(name: string): Proc {
    const found = running.get(name);
    assert.ok(found, `${name} is running`);
    return found;
  }

  before(async () => {
    ollama = await startOllamaServer();
    const hub = launch(
      ['hub', '--port', '0', '--data', hubData, '--log-level', 'warn'],
      { OLLAMA_HOST: ollama.url },
      root,
    );
    procs.push(hub);
    hubUrl = /listening on (http:\/\/\S+)/.exec(await hub.waitFor(/listening on (http:\/\/\S+)/))?.[1] ?? '';
    for (const name of ['alice', 'bob']) {
      const config = { defaultTools: false, p2p: { listen: true } };
      dids.set(name, await initAgent(root, name, { passphrase, args: ['--role', 'assistant'], config }));
      // One automatic reply per thread, so two model-driven agents do not answer each other forever.
      fs.writeFileSync(
        path.join(root, name, 'loop.json'),
        JSON.stringify({ syncIntervalMs: 0, maxRepliesPerThread: 1 }),
      );
    }
    for (const name of ['alice', 'bob']) await startAgent(name);
  });

  after(async () => {
    for (const p of procs.reverse()) await stop(p);
    await ollama?.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  test('a message goes straight to the peer; the hub never holds it', async () => {
    const text = `direct hello ${process.pid}`;
    const sent = await runCli(
      ['agent', 'send', '--dir', 'bob', '--to', 'alice', '--thread', 'direct-1', text],
      env(),
      root,
    );
    assert.equal(sent.code, 0, sent.stderr);
    assert.match(sent.stdout, /directly$/m);
    const id = /sent (\S+)/.exec(sent.stdout)?.[1] ?? '';
    await proc('alice').waitFor(new RegExp(`message from bob: ${text}`));
    // alice's model answered; the answer came back to bob directly too.
    await proc('bob').waitFor(new RegExp(`message from alice: echo: ${text}`));
    assert.ok(id && !allBytes(hubData).includes(id), 'the hub stored nothing under the message id');
    const inbox = await runCli(['agent', 'inbox', '--dir', 'alice', '--json'], env(), root);
    assert.ok(inbox.stdout.includes(id), 'alice keeps it in her inbox');
  });

  test('ask returns the peer’s answer, sealed to the asker and kept by both', async () => {
    const asked = await runCli(
      ['agent', 'ask', '--dir', 'bob', '--to', 'alice', 'what is on today?'],
      env(),
      root,
    );
    assert.equal(asked.code, 0, asked.stderr);
    assert.equal(asked.stdout.trim(), 'alice: echo: what is on today?');
    await proc('alice').waitFor(/question from bob: what is on today\?/);
    const inbox = await runCli(['agent', 'inbox', '--dir', 'bob', '--all'], env(), root);
    assert.match(inbox.stdout, /from alice .* echo: what is on today\?/);
  });

  test('plexus agent chat sends each line, directly, beside a running agent', async () => {
    const chatted = await runCli(
      ['agent', 'chat', '--dir', 'bob', '--to', 'alice'],
      env(),
      root,
      'chat line one\n@alice chat line two\n/quit\n',
    );
    assert.equal(chatted.code, 0, chatted.stderr);
    assert.match(chatted.stdout, /chatting as bob/);
    assert.equal(chatted.stdout.match(/sent \S+ to alice \(did:key:\S+\) directly/g)?.length, 2);
    await proc('alice').waitFor(/message from bob: chat line one$/);
    await proc('alice').waitFor(/message from bob: chat line two$/);
    // With no agent running for its directory, chat runs one itself (and stops it on /quit).
    await initAgent(root, 'carol', { passphrase, config: { defaultTools: false } });
    const alone = await runCli(
      ['agent', 'chat', '--dir', 'carol'],
      env(),
      root,
      '@alice hi from carol\n/quit\n',
    );
    assert.equal(alone.code, 0, alone.stderr);
    assert.match(alone.stdout, /^connected to /m);
    assert.match(alone.stdout, /sent \S+ to alice \(did:key:\S+\) directly/);
    await proc('alice').waitFor(/message from carol: hi from carol$/);
  });

  test('the endpoint refuses callers without a fresh assertion for it, and envelopes not from the caller', async () => {
    const { endpoint } = { endpoint: await endpointOf('alice') };
    const bare = await fetch(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: {} }),
    });
    assert.equal(bare.status, 401);
    const stranger = generateIdentityKeys();
    const elsewhere = await createClientAssertion({
      did: stranger.did,
      secretKey: stranger.signing.secretKey,
      audience: 'http://elsewhere.example/mcp',
    });
    const wrongAudience = await fetch(endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        authorization: `Bearer ${elsewhere}`,
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: {} }),
    });
    assert.equal(wrongAudience.status, 401);

    // bob, authenticated, hands over an envelope signed by someone else: refused by name.
    const bob = loadIdentityFile(path.join(root, 'bob', 'identity.json'), { passphrase });
    const alice = loadIdentityFile(path.join(root, 'alice', 'identity.json'), { passphrase });
    const peers = new PeerClients({
      identity: bob,
      timeoutMs: 30_000,
      askTimeoutMs: 30_000,
      allowAddresses: ['loopback'],
      log: silentLogger,
    });
    try {
      const forged = createEnvelope(
        { did: stranger.did, secretKey: stranger.signing.secretKey },
        { type: CHAT_TYPE, recipient: alice.did, content: { text: 'hi' }, sealTo: alice.card.keyAgreement },
      );
      await assert.rejects(peers.deliver(endpoint, forged), { code: 'sender_mismatch' });
      const task = createEnvelope(
        { did: bob.did, secretKey: bob.keys.signing.secretKey },
        { type: 'task/assign', recipient: alice.did, content: {}, sealTo: alice.card.keyAgreement },
      );
      await assert.rejects(peers.deliver(endpoint, task), { code: 'not_direct' });
      // The same envelope twice is stored once.
      const twice = createEnvelope(
        { did: bob.did, secretKey: bob.keys.signing.secretKey },
        { type: CHAT_TYPE, recipient: alice.did, content: { text: 'once' }, sealTo: alice.card.keyAgreement },
      );
      assert.equal(await peers.deliver(endpoint, twice), 'stored');
      assert.equal(await peers.deliver(endpoint, twice), 'duplicate');
    } finally {
      await peers.close();
    }
  });

  test('after rotate-key both agents chat both ways, directly and through the hub; the retired key is refused (and a failed rotate-key changes nothing)', async () => {
    const file = path.join(root, 'alice', 'identity.json');
    const old = loadIdentityFile(file, { passphrase });
    const before = fs.readFileSync(file, 'utf8');
    const busy = await runCli(['agent', 'rotate-key', '--dir', 'alice'], env(), root);
    assert.equal(busy.code, 1);
    assert.match(busy.stderr, /^plexus agent rotate-key: an agent is running in /);
    await stop(proc('alice'));
    running.delete('alice');
    // A wrong passphrase or an unreachable hub: one line saying so, exit 1, identity.json untouched.
    const wrong = await runCli(
      ['agent', 'rotate-key', '--dir', 'alice'],
      { ...env(), PLEXUS_PASSPHRASE: 'not the passphrase' },
      root,
    );
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr.split('\n')[0] ?? '', /^plexus agent rotate-key: wrong passphrase for /);
    const away = await runCli(
      ['agent', 'rotate-key', '--dir', 'alice', '--hub', 'http://127.0.0.1:9'],
      env(),
      root,
    );
    assert.equal(away.code, 1);
    assert.match(
      away.stderr.split('\n')[0] ?? '',
      /^plexus agent rotate-key: cannot reach the hub at http:\/\/127\.0\.0\.1:9 /,
    );
    assert.equal(fs.readFileSync(file, 'utf8'), before);

    const rotated = await runCli(['agent', 'rotate-key', '--dir', 'alice', '--json'], env(), root);
    assert.equal(rotated.code, 0, rotated.stderr);
    const out = JSON.parse(rotated.stdout) as { did: string; key: string; previous_key: string };
    assert.equal(out.did, dids.get('alice'));
    assert.notEqual(out.key, out.previous_key);
    const now = loadIdentityFile(file, { passphrase });
    assert.deepEqual(
      now.keyHistory.map((k) => k.key),
      [out.previous_key, out.key],
      'identity.json keeps the old key and signs with the new one',
    );
    assert.deepEqual(now.retiredSigning, [old.keys.signing.secretKey]);
    const who = await runCli(['agent', 'whoami', '--dir', 'alice', '--json'], env(), root);
    assert.equal((JSON.parse(who.stdout) as { key: string }).key, out.key);
    await startAgent('alice');

    // Directly, both ways: bob (who cached alice's old key) takes her answers signed with the new one.
    // (Each agent's model answers once per thread: the asks go first, in the threads of their own.)
    const asked = await runCli(['agent', 'ask', '--dir', 'bob', '--to', 'alice', 'new key?'], env(), root);
    assert.equal(asked.code, 0, asked.stderr);
    assert.equal(asked.stdout.trim(), 'alice: echo: new key?');
    const asking = await runCli(['agent', 'ask', '--dir', 'alice', '--to', 'bob', 'still me?'], env(), root);
    assert.equal(asking.code, 0, asking.stderr);
    assert.equal(asking.stdout.trim(), 'bob: echo: still me?');
    const direct = `after the rotation ${process.pid}`;
    const sent = await runCli(
      ['agent', 'send', '--dir', 'bob', '--to', 'alice', '--thread', 'rotated-1', direct],
      env(),
      root,
    );
    assert.equal(sent.code, 0, sent.stderr);
    assert.match(sent.stdout, /directly$/m);
    await proc('alice').waitFor(new RegExp(`message from bob: ${direct}`));
    await proc('bob').waitFor(new RegExp(`message from alice: echo: ${direct}`));

    // Through the hub, both ways: the peer's endpoint is down, the router checks the new key.
    await stop(proc('bob'));
    running.delete('bob');
    const viaHub = `through the hub ${process.pid}`;
    const toBob = await runCli(['agent', 'send', '--dir', 'alice', '--to', 'bob', viaHub], env(), root);
    assert.equal(toBob.code, 0, toBob.stderr);
    assert.match(toBob.stdout, /through the hub$/m);
    await startAgent('bob');
    await proc('bob').waitFor(new RegExp(`message from alice: ${viaHub}`));
    await stop(proc('alice'));
    running.delete('alice');
    const toAlice = await runCli(['agent', 'send', '--dir', 'bob', '--to', 'alice', viaHub], env(), root);
    assert.equal(toAlice.code, 0, toAlice.stderr);
    assert.match(toAlice.stdout, /through the hub$/m);
    await startAgent('alice');
    await proc('alice').waitFor(new RegExp(`message from bob: ${viaHub}`));

    // Whoever holds the retired key: refused by bob's endpoint, by the router and by the hub's token endpoint.
    const bob = loadIdentityFile(path.join(root, 'bob', 'identity.json'), { passphrase });
    const byOldKey = () =>
      createEnvelope(
        { did: old.did, secretKey: old.keys.signing.secretKey },
        { type: CHAT_TYPE, recipient: bob.did, content: { text: 'old key' }, sealTo: bob.card.keyAgreement },
      );
    const asOld = new PeerClients({
      identity: old,
      timeoutMs: 30_000,
      askTimeoutMs: 30_000,
      allowAddresses: ['loopback'],
      log: silentLogger,
    });
    const asNew = new PeerClients({
      identity: now,
      timeoutMs: 30_000,
      askTimeoutMs: 30_000,
      allowAddresses: ['loopback'],
      log: silentLogger,
    });
    const session = new HubSession({ hubUrl, identity: now, log: silentLogger, timeoutMs: 30_000 });
    try {
      await assert.rejects(
        asOld.deliver(await endpointOf('bob'), byOldKey()),
        /401|unauthori[sz]ed|invalid_token/i,
      );
      await assert.rejects(asNew.deliver(await endpointOf('bob'), byOldKey()), { code: 'signature_invalid' });
      await session.open();
      await assert.rejects(session.servers.router.sendMessage({ envelope: byOldKey() }), {
        code: 'signature_invalid',
      });
      const oldSession = new HubSession({ hubUrl, identity: old, log: silentLogger, timeoutMs: 30_000 });
      await assert.rejects(oldSession.open(), { code: 'hub_refused' });
      await oldSession.close();
    } finally {
      await asOld.close();
      await asNew.close();
      await session.close();
    }
  });

  test('a peer whose endpoint is gone gets the message through the hub when it returns', async () => {
    await stop(proc('alice'));
    running.delete('alice');
    const text = `while you were away ${process.pid}`;
    const sent = await runCli(['agent', 'send', '--dir', 'bob', '--to', 'alice', text], env(), root);
    assert.equal(sent.code, 0, sent.stderr);
    assert.match(sent.stdout, /through the hub$/m);
    const { proc: again } = await startAgent('alice');
    await again.waitFor(new RegExp(`message from bob: ${text}`));
  });

  /** The endpoint alice's card lists, as peers resolve it. */
  async function endpointOf(name: string): Promise<string> {
    const card = loadIdentityFile(path.join(root, name, 'identity.json'), { passphrase }).card;
    assert.ok(card.endpoints.mcp, `${name}'s card lists an endpoint`);
    return Promise.resolve(card.endpoints.mcp);
  }
});
