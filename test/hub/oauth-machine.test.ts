import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { test } from 'node:test';
import {
  Client,
  ClientCredentialsProvider,
  PrivateKeyJwtProvider,
  StreamableHTTPClientTransport,
  type OAuthClientProvider,
} from '@modelcontextprotocol/client';
import { toBase64Url } from '../../lib/crypto/bytes.ts';
import { generateIdentityKeys } from '../../lib/crypto/identity-keys.ts';
import { fixtureFactory, initializeWith, startTestHub } from './helpers.ts';

async function connect(t: test.TestContext, url: string, authProvider: OAuthClientProvider): Promise<Client> {
  const client = new Client({ name: 'machine-client', version: '1.0.0' });
  t.after(() => client.close());
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { authProvider }));
  return client;
}

/** The SDK's PrivateKeyJwtProvider for an agent's did:key (Ed25519 as a JWK, EdDSA). */
function agentProvider(
  agent: ReturnType<typeof generateIdentityKeys>,
  issuer: string,
): PrivateKeyJwtProvider {
  return new PrivateKeyJwtProvider({
    clientId: agent.did,
    privateKey: {
      kty: 'OKP',
      crv: 'Ed25519',
      d: toBase64Url(agent.signing.secretKey),
      x: toBase64Url(agent.signing.publicKey),
    },
    algorithm: 'EdDSA',
    expectedIssuer: issuer,
  });
}

test('the SDK’s PrivateKeyJwtProvider gets an agent token as is; a token minted for /mcp is refused elsewhere', async (t) => {
  const hub = await startTestHub(t, { servers: { identity: {} } }, { components: { fix: fixtureFactory } });
  const agent = generateIdentityKeys();
  const provider = agentProvider(agent, hub.url);
  const client = await connect(t, hub.mcpUrl, provider);
  const who = await client.callTool({ name: 'fix__whoami', arguments: {} });
  assert.deepEqual(who.structuredContent, {
    subject: agent.did,
    scopes: ['read', 'write'],
    pid: process.pid,
  });

  const token = provider.tokens()?.access_token ?? '';
  const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as {
    aud: string;
  };
  assert.equal(claims.aud, hub.mcpUrl, 'bound to the resource the SDK named');
  assert.equal((await initializeWith(hub.mcpUrl, token)).status, 200);
  const elsewhere = await initializeWith(`${hub.mcpUrl}/fix`, token);
  assert.equal(elsewhere.status, 401);
  assert.match(elsewhere.challenge, /error="invalid_token".*not http:\/\/127\.0\.0\.1:\d+\/mcp\/fix/);
  assert.match(elsewhere.challenge, /resource_metadata="[^"]+\/oauth-protected-resource\/mcp\/fix"/);
  // Presented at /mcp/fix, the same provider gets a token for /mcp/fix.
  const fixProvider = agentProvider(agent, hub.url);
  const fixClient = await connect(t, `${hub.mcpUrl}/fix`, fixProvider);
  assert.equal(
    ((await fixClient.callTool({ name: 'whoami', arguments: {} })).structuredContent as { subject: string })
      .subject,
    agent.did,
  );
});

test('the SDK’s ClientCredentialsProvider works with a machine client configured in plexus.json', async (t) => {
  const secret = randomBytes(32).toString('base64url');
  const hub = await startTestHub(
    t,
    {
      servers: { identity: {} },
      oauth: {
        clients: {
          'reporting-job': {
            name: 'Reporting job',
            grantTypes: ['client_credentials'],
            secretSha256: createHash('sha256').update(secret).digest('hex'),
            user: 'reports',
          },
        },
      },
    },
    { components: { fix: fixtureFactory } },
  );
  const user = await hub.users?.add('reports', 'a long service password', ['read']);
  const client = await connect(
    t,
    hub.mcpUrl,
    new ClientCredentialsProvider({
      clientId: 'reporting-job',
      clientSecret: secret,
      expectedIssuer: hub.url,
    }),
  );
  const who = await client.callTool({ name: 'fix__whoami', arguments: {} });
  assert.deepEqual(who.structuredContent, { subject: user?.did, scopes: ['read'], pid: process.pid });
});
