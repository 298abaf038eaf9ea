import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { createClientAssertion } from '../../lib/auth/client-assertion.ts';
import { loadIdentityFile } from '../../lib/identity/identity-file.ts';
import { silentLogger } from '../../lib/log.ts';
import { HubSession } from '../../agent-host/hub-session.ts';
import { ensureIdentityRegistered } from '../../agent-host/registration.ts';
import { tempDir } from '../helpers/fixtures.ts';
import { runCli } from '../helpers/plexus-process.ts';
import { startTestHub } from './helpers.ts';

test('gateway: an access token stops working once its DID is revoked, before it expires', async (t) => {
  const hub = await startTestHub(t, { auth: { revocationCacheSeconds: 1 } }, { catalogDefaults: true });
  const root = tempDir(t);
  const passphrase = 'revocation-test';
  const made = await runCli(
    ['agent', 'init', '--dir', 'eve', '--name', 'eve', '--passphrase-stdin'],
    {},
    root,
    `${passphrase}\n`,
  );
  assert.equal(made.code, 0, made.stderr);
  const file = path.join(root, 'eve', 'identity.json');
  const identity = loadIdentityFile(file, { passphrase });
  const session = new HubSession({ hubUrl: hub.url, identity, log: silentLogger, timeoutMs: 30_000 });
  t.after(() => session.close());
  await session.open();
  await ensureIdentityRegistered(session, file, identity, silentLogger);

  // A token of her own, issued while she stands.
  const issued = await fetch(`${hub.url}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: identity.did,
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: await createClientAssertion({
        did: identity.did,
        secretKey: identity.keys.signing.secretKey,
        audience: `${hub.url}/oauth/token`,
      }),
    }),
  });
  assert.equal(issued.status, 200, await issued.clone().text());
  const { access_token: token, expires_in: expiresIn } = (await issued.json()) as {
    access_token: string;
    expires_in: number;
  };
  const initialize = () =>
    fetch(hub.mcpUrl, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } },
      }),
    });
  assert.equal((await initialize()).status, 200);

  const revoked = await runCli(
    ['agent', 'revoke', '--dir', 'eve', '--yes', '--hub', hub.url],
    { PLEXUS_PASSPHRASE: passphrase },
    root,
  );
  assert.equal(revoked.code, 0, revoked.stderr);
  // Once the 1 s the hub trusts a DID's standing is over, not when the token expires (minutes later, and
  // then refused as expired, not revoked).
  let refused = await initialize();
  while (refused.status === 200) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    refused = await initialize();
  }
  assert.ok(expiresIn > 60, `the token had ${expiresIn} s left`);
  assert.equal(refused.status, 401);
  assert.match(refused.headers.get('www-authenticate') ?? '', /revoked/);
});
