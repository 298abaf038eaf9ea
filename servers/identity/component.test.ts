import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../lib/log.ts';
import { freshPgDatabase } from '../../test/helpers/services.ts';
import { composeInProcess } from '../../lib/mcp/local-composition.ts';
import { component as router } from '../router/component.ts';
import { component as identity } from './component.ts';
import { T0, cardFor, newAgent, ok, revocationFor, rotationFor } from './test-support.ts';

type Head = { seq: number; hash: string };

test('identity alone: state survives a restart on the same data dir', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'plexus-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const agent = newAgent();
  const first = await composeInProcess({ identity }, { dataDir, log: silentLogger, now: () => T0 });
  const client = await first.connect('identity');
  await ok(client, 'register_identity', { card: cardFor(agent) });
  const { keys } = await ok<{ keys: unknown[] }>(client, 'get_jwks', {});
  // Rotation with no router in the composition still works (the event is dropped).
  const head = (await ok<{ log_head: Head }>(client, 'resolve_did', { did: agent.did })).log_head;
  await ok(client, 'rotate_keys', {
    statement: rotationFor(agent.did, head, agent.signing.secretKey, newAgent()),
  });
  await first.close();

  const second = await composeInProcess({ identity }, { dataDir, log: silentLogger, now: () => T0 });
  t.after(() => second.close());
  const again = await second.connect('identity');
  assert.equal((await ok<{ log_head: Head }>(again, 'resolve_did', { did: agent.did })).log_head.seq, 1);
  assert.deepEqual((await ok<{ keys: unknown[] }>(again, 'get_jwks', {})).keys, keys);
});

test('with a router in the composition, rotation and revocation become system events', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'plexus-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const composition = await composeInProcess(
    { identity, router },
    { dataDir, log: silentLogger, now: () => T0 },
  );
  t.after(() => composition.close());
  const events = await composition.connect('router');
  const updates: string[] = [];
  let wake = Promise.withResolvers<void>();
  events.setNotificationHandler('notifications/resources/updated', (n) => {
    updates.push(n.params.uri);
    wake.resolve();
  });
  await events.subscribeResource({ uri: 'plexus://events' });
  const fetched = async (count: number) => {
    for (;;) {
      const page = await ok<{ events: { type: string; subject: string }[] }>(events, 'fetch_events', {});
      if (page.events.length >= count) return page.events;
      await wake.promise;
      wake = Promise.withResolvers<void>();
    }
  };

  const client = await composition.connect('identity');
  const agent = newAgent();
  const head0 = (await ok<{ log_head: Head }>(client, 'register_identity', { card: cardFor(agent) }))
    .log_head;
  const next = newAgent();
  const head1 = (
    await ok<{ log_head: Head }>(client, 'rotate_keys', {
      statement: rotationFor(agent.did, head0, agent.signing.secretKey, next),
    })
  ).log_head;
  await ok(client, 'revoke_identity', { statement: revocationFor(agent.did, head1, next.signing.secretKey) });
  const seen = await fetched(3);
  assert.deepEqual(
    seen.map((e) => [e.type, e.subject]),
    [
      ['identity.registered', agent.did],
      ['identity.rotated', agent.did],
      ['identity.revoked', agent.did],
    ],
  );
  assert.ok(updates.includes('plexus://events'));
});

test('with a database URL the component keeps its state in PostgreSQL', async (t) => {
  const databaseUrl = await freshPgDatabase(t);
  if (!databaseUrl) return;
  const dataDir = mkdtempSync(join(tmpdir(), 'plexus-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const agent = newAgent();
  const first = await composeInProcess(
    { identity },
    { dataDir, databaseUrl, log: silentLogger, now: () => T0 },
  );
  await ok(await first.connect('identity'), 'register_identity', { card: cardFor(agent) });
  await first.close();
  assert.equal(existsSync(join(dataDir, 'identity.sqlite')), false);
  const second = await composeInProcess(
    { identity },
    { dataDir, databaseUrl, log: silentLogger, now: () => T0 },
  );
  t.after(() => second.close());
  const resolved = await ok<{ card: unknown }>(await second.connect('identity'), 'resolve_did', {
    did: agent.did,
  });
  assert.deepEqual(resolved.card, cardFor(agent));
});
