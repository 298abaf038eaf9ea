import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { createEnvelope } from '../../lib/crypto/envelope.ts';
import { createIdentityFile } from '../../lib/identity/identity-file.ts';
import { silentLogger, type Logger } from '../../lib/log.ts';
import type { Lookup } from '../../lib/net/address-guard.ts';
import { capturingLogger } from '../../test/helpers/log-capture.ts';
import { freePort } from '../../test/helpers/ports.ts';
import { CHAT_TYPE } from '../chat.ts';
import { P2pConfig } from '../config.ts';
import { PeerClients } from './peer-client.ts';
import type { PeerLimits } from './peer-gate.ts';
import { servePeerEndpoint } from './server.ts';

/** alice's endpoint, published under a name only the test's lookup knows, and bob's clients to it. */
async function peers(
  t: TestContext,
  lookup: Lookup,
  limits: Partial<PeerLimits> = {},
  log: Logger = silentLogger,
) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plexus-peer-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const alice = createIdentityFile(path.join(dir, 'alice.json'), { name: 'alice', role: 'peer' });
  const bob = createIdentityFile(path.join(dir, 'bob.json'), { name: 'bob', role: 'peer' });
  const delivered: string[] = [];
  const port = await freePort();
  const serving = await servePeerEndpoint({
    identity: alice,
    handlers: {
      deliver: (_peer, envelope) => {
        delivered.push(String(envelope['id']));
        return Promise.resolve({ id: String(envelope['id']), status: 'stored' });
      },
      ask: () => Promise.reject(new Error('not asked here')),
    },
    host: '127.0.0.1',
    port,
    publicUrl: `http://alice.peer.invalid:${port}/mcp`,
    limits: { ...P2pConfig.parse({}).limits, ...limits },
    log: silentLogger,
  });
  t.after(() => serving.close());
  const clients = new PeerClients({
    identity: bob,
    timeoutMs: 10_000,
    askTimeoutMs: 10_000,
    allowAddresses: ['loopback'],
    log,
    lookup,
  });
  t.after(() => clients.close());
  const chat = (text: string) =>
    createEnvelope(
      { did: bob.did, secretKey: bob.keys.signing.secretKey },
      { type: CHAT_TYPE, recipient: alice.did, content: { text }, sealTo: alice.card.keyAgreement },
    );
  return { endpoint: serving.url, clients, envelope: chat('hi'), chat, delivered };
}

test('a peer endpoint is reached at the address the guard checked, not at a second DNS answer', async (t) => {
  let lookups = 0;
  // The name does not resolve for real (.invalid): a connection that looked it up again would fail.
  const rebinding: Lookup = (host) => {
    assert.equal(host, 'alice.peer.invalid');
    lookups++;
    return Promise.resolve([{ address: lookups === 1 ? '127.0.0.1' : '169.254.169.254', family: 4 }]);
  };
  const { endpoint, clients, envelope, delivered } = await peers(t, rebinding);
  assert.equal(await clients.deliver(endpoint, envelope), 'stored');
  assert.deepEqual(delivered, [envelope.id]);
  assert.equal(lookups, 1, 'one lookup per connection');
});

test('a peer endpoint that resolves to a forbidden address is refused before any connection', async (t) => {
  const metadata: Lookup = () => Promise.resolve([{ address: '169.254.169.254', family: 4 }]);
  const { endpoint, clients, envelope, delivered } = await peers(t, metadata);
  await assert.rejects(clients.deliver(endpoint, envelope), /169\.254\.169\.254/);
  assert.deepEqual(delivered, []);
});

test('the endpoint refuses a peer that calls too often, naming the limit', async (t) => {
  const loopback: Lookup = () => Promise.resolve([{ address: '127.0.0.1', family: 4 }]);
  const { endpoint, clients, chat, delivered } = await peers(t, loopback, { burst: 2, perSecond: 0.001 });
  const [one, two, three] = [chat('one'), chat('two'), chat('three')];
  assert.equal(await clients.deliver(endpoint, one), 'stored');
  assert.equal(await clients.deliver(endpoint, two), 'stored');
  await assert.rejects(clients.deliver(endpoint, three), { code: 'rate_limited' });
  assert.deepEqual(delivered, [one.id, two.id]);
});

test('peers speak MCP 2026-07-28 to each other', async (t) => {
  const loopback: Lookup = () => Promise.resolve([{ address: '127.0.0.1', family: 4 }]);
  const { log, lines } = capturingLogger();
  const { endpoint, clients, envelope, delivered } = await peers(t, loopback, {}, log);
  assert.equal(await clients.deliver(endpoint, envelope), 'stored');
  assert.deepEqual(delivered, [envelope.id]);
  const connected = lines.filter((line) => line.msg === 'peer connected');
  assert.deepEqual(
    connected.map((line) => line['protocol']),
    ['2026-07-28'],
  );
});
