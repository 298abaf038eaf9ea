import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import type { GrantRecord, OAuthStore, UserRecord } from './store.ts';

/** A store factory for one test (null = skipped); the factory registers its own cleanup. */
export type MakeOAuthStore = (t: TestContext) => Promise<OAuthStore | null>;

const NOW = 1_800_000_000_000;

function user(name: string, overrides: Partial<UserRecord> = {}): UserRecord {
  return {
    name,
    did: `did:key:z6Mk${name}`,
    passwordHash: `hash-${name}`,
    scopes: ['read', 'write'],
    sealedKeys: { cipher: 'aes-256-gcm', iv: 'aaaa', tag: 'bbbb', ciphertext: 'cccc' },
    createdAt: NOW,
    registeredAt: null,
    ...overrides,
  };
}

function grant(id: string, overrides: Partial<GrantRecord> = {}): GrantRecord {
  return {
    id,
    user: 'ada',
    clientId: 'https://app.example/client.json',
    clientName: 'App',
    redirectUri: 'http://127.0.0.1:9/cb',
    scopes: ['read'],
    resource: 'https://hub.example/mcp',
    createdAt: NOW,
    lastUsedAt: NOW,
    expiresAt: NOW + 1000,
    revokedAt: null,
    ...overrides,
  };
}

export function runOAuthStoreContract(kind: string, make: MakeOAuthStore): void {
  const withStore = (name: string, body: (store: OAuthStore) => Promise<void>) =>
    void test(`oauth store (${kind}): ${name}`, async (t) => {
      const store = await make(t);
      if (!store) return;
      t.after(() => store.close());
      await body(store);
    });

  withStore(
    'users are unique by name and DID; passwords change; removal ends grants and sessions',
    async (s) => {
      assert.equal(await s.addUser(user('ada')), true);
      assert.equal(await s.addUser(user('ada', { did: 'did:key:z6Mkother' })), false);
      assert.equal(await s.addUser(user('bob')), true);
      assert.deepEqual(await s.getUser('ada'), user('ada'));
      assert.equal(await s.getUser('nobody'), null);
      assert.deepEqual(
        (await s.listUsers()).map((u) => u.name),
        ['ada', 'bob'],
      );
      assert.equal(await s.setPassword('ada', 'new-hash'), true);
      assert.equal(await s.setPassword('nobody', 'x'), false);
      await s.markRegistered('ada', NOW + 5);
      assert.deepEqual(
        [(await s.getUser('ada'))?.passwordHash, (await s.getUser('ada'))?.registeredAt],
        ['new-hash', NOW + 5],
      );

      await s.addGrant(grant('g1'));
      await s.addSession({ idHash: 's1', user: 'ada', createdAt: NOW, expiresAt: NOW + 100 });
      assert.equal(await s.removeUser('ada', NOW + 1), true);
      assert.equal(await s.removeUser('ada', NOW + 1), false);
      assert.equal(await s.getUser('ada'), null);
      assert.equal((await s.getGrant('g1'))?.revokedAt, NOW + 1);
      assert.equal(await s.getSession('s1', NOW), null);
      assert.equal(await s.tokenRevoked('jti-1', 'g1'), true);
    },
  );

  withStore('clients, sessions', async (s) => {
    await s.addClient({ clientId: 'c1', metadata: { client_name: 'C' }, secretHash: null, createdAt: NOW });
    assert.deepEqual(await s.getClient('c1'), {
      clientId: 'c1',
      metadata: { client_name: 'C' },
      secretHash: null,
      createdAt: NOW,
    });
    assert.equal(await s.getClient('c2'), null);
    assert.equal(await s.countClients(), 1);

    await s.addSession({ idHash: 'h1', user: 'ada', createdAt: NOW, expiresAt: NOW + 10 });
    await s.addSession({ idHash: 'h2', user: 'ada', createdAt: NOW, expiresAt: NOW + 10 });
    assert.equal((await s.getSession('h1', NOW))?.user, 'ada');
    assert.equal(await s.getSession('h1', NOW + 10), null, 'expired');
    await s.deleteSession('h1');
    assert.equal(await s.getSession('h1', NOW), null);
    await s.deleteUserSessions('ada');
    assert.equal(await s.getSession('h2', NOW), null);
  });

  withStore('grants are listed while active and revoked one by one or per client', async (s) => {
    await s.addGrant(grant('g1'));
    await s.addGrant(grant('g2', { createdAt: NOW + 1 }));
    await s.addGrant(grant('g3', { clientId: 'other', clientName: 'Other', createdAt: NOW + 2 }));
    await s.addGrant(grant('g4', { user: 'bob' }));
    await s.addGrant(grant('old', { expiresAt: NOW }));
    assert.deepEqual(
      (await s.listGrants('ada', NOW)).map((g) => g.id),
      ['g3', 'g2', 'g1'],
    );
    assert.deepEqual(await s.getGrant('g1'), grant('g1'));
    await s.touchGrant('g1', NOW + 50, NOW + 5000);
    assert.deepEqual(
      [(await s.getGrant('g1'))?.lastUsedAt, (await s.getGrant('g1'))?.expiresAt],
      [NOW + 50, NOW + 5000],
    );
    assert.equal(await s.revokeGrant('g3', NOW), true);
    assert.equal(await s.revokeGrant('g3', NOW), false);
    assert.equal(await s.revokeClientGrants('ada', 'https://app.example/client.json', NOW), 3);
    assert.deepEqual(await s.listGrants('ada', NOW), []);
    assert.equal((await s.listGrants('bob', NOW)).length, 1);
  });

  withStore('codes and refresh tokens are spent once; a second use is reported as reuse', async (s) => {
    const code = {
      codeHash: 'c',
      grantId: 'g1',
      clientId: 'app',
      redirectUri: 'http://127.0.0.1/cb',
      codeChallenge: 'x',
      expiresAt: NOW + 60,
    };
    await s.addCode(code);
    assert.deepEqual(await s.takeCode('c', NOW), { record: code, reused: false });
    assert.deepEqual(await s.takeCode('c', NOW + 1), { record: code, reused: true });
    assert.equal(await s.takeCode('unknown', NOW), null);
    await s.addCode({ ...code, codeHash: 'late' });
    assert.equal(await s.takeCode('late', NOW + 60), null, 'expired');

    const token = { tokenHash: 'r', grantId: 'g1', expiresAt: NOW + 60 };
    await s.addRefreshToken(token);
    const results = await Promise.all([s.takeRefreshToken('r', NOW), s.takeRefreshToken('r', NOW)]);
    assert.deepEqual(results.map((r) => r?.reused).sort(), [false, true], 'exactly one use wins');
    assert.equal(await s.takeRefreshToken('nope', NOW), null);
    assert.equal(await s.refreshTokenGrant('r'), 'g1');
    assert.equal(await s.refreshTokenGrant('nope'), null);
  });

  withStore('revoked tokens: by id, or through their grant; expired records are purged', async (s) => {
    await s.addGrant(grant('g1'));
    assert.equal(await s.tokenRevoked('j1', null), false);
    assert.equal(await s.tokenRevoked('j1', 'g1'), false);
    assert.equal(await s.tokenRevoked('j1', 'missing'), true, 'a grant that is gone backs no token');
    await s.revokeToken('j1', NOW + 10);
    await s.revokeToken('j1', NOW + 10);
    assert.equal(await s.tokenRevoked('j1', null), true);
    await s.revokeGrant('g1', NOW);
    assert.equal(await s.tokenRevoked('j2', 'g1'), true);

    await s.addCode({
      codeHash: 'c',
      grantId: 'g1',
      clientId: 'a',
      redirectUri: 'r',
      codeChallenge: 'x',
      expiresAt: NOW + 5,
    });
    await s.purgeExpired(NOW + 1000);
    assert.equal(await s.tokenRevoked('j1', null), false, 'past its expiry the token is dead anyway');
    assert.equal(await s.getGrant('g1'), null);
    assert.equal(await s.takeCode('c', NOW), null);
  });
}
