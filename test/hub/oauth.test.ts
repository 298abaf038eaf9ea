import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { test, type TestContext } from 'node:test';
import type { RunningHub } from '../../hub/hub.ts';
import { alertOf, authorizeInBrowser, FetchBrowser, formOf } from '../helpers/oauth-browser.ts';
import { fixtureFactory, initializeWith, startTestHub } from './helpers.ts';

const APP = 'desk-app';
const REDIRECT = 'http://127.0.0.1:9999/callback';
const PASSWORD = 'correct horse battery';
const json = { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' };

interface Tokens {
  access_token: string;
  refresh_token?: string;
  scope: string;
  token_type: string;
  expires_in: number;
}

function pkce() {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/** A hub with identity, the fixture server, a pre-registered public app, and users ada (read write) and root. */
async function oauthHub(t: TestContext, oauth: Record<string, unknown> = {}): Promise<RunningHub> {
  const hub = await startTestHub(
    t,
    {
      servers: { identity: {} },
      oauth: { clients: { [APP]: { name: 'Desk <App>', redirectUris: [REDIRECT] } }, ...oauth },
    },
    { components: { fix: fixtureFactory } },
  );
  assert.ok(hub.users);
  await hub.users.add('ada', PASSWORD);
  return hub;
}

function authorizationUrl(hub: RunningHub, params: Record<string, string>): string {
  const url = new URL(`${hub.url}/oauth/authorize`);
  for (const [name, value] of Object.entries({
    response_type: 'code',
    client_id: APP,
    redirect_uri: REDIRECT,
    code_challenge_method: 'S256',
    state: 'st-1',
    ...params,
  }))
    url.searchParams.set(name, value);
  return url.href;
}

async function token(hub: RunningHub, fields: Record<string, string>, headers: Record<string, string> = {}) {
  const response = await fetch(`${hub.url}/oauth/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(fields),
  });
  return {
    status: response.status,
    body: (await response.json()) as Tokens & { error?: string; error_description?: string },
  };
}

/** Signs ada in and exchanges the code: the tokens of a fresh grant. */
async function signIn(hub: RunningHub, params: Record<string, string> = {}): Promise<Tokens> {
  const { verifier, challenge } = pkce();
  const back = await authorizeInBrowser(
    new FetchBrowser(),
    authorizationUrl(hub, { code_challenge: challenge, ...params }),
    {
      username: 'ada',
      password: PASSWORD,
    },
  );
  assert.equal(back.searchParams.get('iss'), hub.url);
  const issued = await token(hub, {
    grant_type: 'authorization_code',
    client_id: APP,
    code: back.searchParams.get('code') ?? '',
    code_verifier: verifier,
    redirect_uri: REDIRECT,
    ...(params['resource'] ? { resource: params['resource'] } : {}),
  });
  assert.equal(issued.status, 200, JSON.stringify(issued.body));
  return issued.body;
}

const mcp = initializeWith;

/** Calls a tool on a session of its own; returns the HTTP status and the result or error. */
async function callTool(url: string, accessToken: string, name: string) {
  const { session } = await initializeWith(url, accessToken);
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      ...json,
      Authorization: `Bearer ${accessToken}`,
      'Mcp-Session-Id': session,
      'Mcp-Protocol-Version': '2025-06-18',
    },
    body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name, arguments: {} } }),
  });
  const text = await response.text();
  const data = /^data: (.*)$/m.exec(text)?.[1] ?? text;
  return {
    status: response.status,
    challenge: response.headers.get('www-authenticate') ?? '',
    body: JSON.parse(data) as { result?: { structuredContent?: Record<string, unknown> }; error?: unknown },
  };
}

test('metadata: RFC 8414 for the authorization server, RFC 9728 for each resource, consistent', async (t) => {
  const hub = await oauthHub(t);
  const as = (await (await fetch(`${hub.url}/.well-known/oauth-authorization-server`)).json()) as Record<
    string,
    unknown
  >;
  assert.deepEqual(as, {
    issuer: hub.url,
    authorization_endpoint: `${hub.url}/oauth/authorize`,
    token_endpoint: `${hub.url}/oauth/token`,
    revocation_endpoint: `${hub.url}/oauth/revoke`,
    registration_endpoint: `${hub.url}/oauth/register`,
    jwks_uri: `${hub.url}/oauth/jwks.json`,
    response_types_supported: ['code'],
    response_modes_supported: ['query'],
    grant_types_supported: ['authorization_code', 'refresh_token', 'client_credentials'],
    code_challenge_methods_supported: ['S256'],
    token_endpoint_auth_methods_supported: [
      'none',
      'client_secret_basic',
      'client_secret_post',
      'private_key_jwt',
    ],
    token_endpoint_auth_signing_alg_values_supported: ['EdDSA'],
    revocation_endpoint_auth_methods_supported: ['none', 'client_secret_basic', 'client_secret_post'],
    scopes_supported: ['read', 'write', 'admin', 'offline_access'],
    client_id_metadata_document_supported: true,
    authorization_response_iss_parameter_supported: true,
  });
  for (const [path, resource] of [
    ['/.well-known/oauth-protected-resource', `${hub.url}/mcp`],
    ['/.well-known/oauth-protected-resource/mcp', `${hub.url}/mcp`],
    ['/.well-known/oauth-protected-resource/mcp/fix', `${hub.url}/mcp/fix`],
  ] as const) {
    const response = await fetch(`${hub.url}${path}`, { headers: { Origin: 'https://app.example' } });
    assert.equal(
      response.headers.get('access-control-allow-origin'),
      '*',
      'any web origin may read metadata',
    );
    const metadata = (await response.json()) as {
      resource: string;
      authorization_servers: string[];
      scopes_supported: string[];
    };
    assert.equal(metadata.resource, resource);
    assert.deepEqual(metadata.authorization_servers, [as['issuer']]);
    assert.deepEqual(metadata.scopes_supported, ['read', 'write'], 'admin is stepped up to');
  }
  assert.equal((await fetch(`${hub.url}/.well-known/oauth-protected-resource/mcp/nothing`)).status, 404);
  // Each resource's 401 points at its own metadata.
  assert.match(
    (await mcp(`${hub.url}/mcp/fix`, 'x')).challenge,
    /resource_metadata="[^"]+\/oauth-protected-resource\/mcp\/fix"/,
  );
});

test('authorization code + PKCE: sign in, approve, tokens for the person’s DID; refresh rotates; reuse revokes the grant', async (t) => {
  const hub = await oauthHub(t);
  const ada = await hub.users?.get('ada');
  assert.ok(ada);
  const tokens = await signIn(hub, { scope: 'read write' });
  assert.equal(tokens.token_type, 'Bearer');
  assert.equal(tokens.scope, 'read write');
  assert.ok(tokens.refresh_token);
  const who = await callTool(hub.mcpUrl, tokens.access_token, 'fix__whoami');
  assert.deepEqual(who.body.result?.structuredContent, {
    subject: ada.did,
    scopes: ['read', 'write'],
    pid: process.pid,
  });
  assert.ok(
    (await hub.users?.get('ada'))?.registeredAt,
    'the DID was registered with identity at first sign-in',
  );

  const refreshed = await token(hub, {
    grant_type: 'refresh_token',
    client_id: APP,
    refresh_token: tokens.refresh_token,
  });
  assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));
  assert.notEqual(refreshed.body.refresh_token, tokens.refresh_token, 'rotated');
  assert.equal((await mcp(hub.mcpUrl, refreshed.body.access_token)).status, 200);

  // The old refresh token again: stolen. Every token of the grant stops working at once.
  const reused = await token(hub, {
    grant_type: 'refresh_token',
    client_id: APP,
    refresh_token: tokens.refresh_token,
  });
  assert.deepEqual([reused.status, reused.body.error], [400, 'invalid_grant']);
  assert.match(reused.body.error_description ?? '', /already used; its grant is revoked/);
  const after = await mcp(hub.mcpUrl, refreshed.body.access_token);
  assert.equal(after.status, 401);
  assert.match(after.challenge, /error="invalid_token", error_description="the token was revoked"/);
  const next = await token(hub, {
    grant_type: 'refresh_token',
    client_id: APP,
    refresh_token: refreshed.body.refresh_token ?? '',
  });
  assert.equal(next.body.error, 'invalid_grant');
});

test('authorization requests: bad ones are shown to the person or returned to the client with iss', async (t) => {
  const hub = await oauthHub(t);
  const browser = new FetchBrowser();
  const { challenge, verifier } = pkce();

  // No client or redirect URI to trust: a page, never a redirect.
  for (const [params, message] of [
    [{ client_id: 'nobody', code_challenge: challenge }, /knows no client 'nobody'/],
    [
      { redirect_uri: 'http://127.0.0.1:9999/elsewhere', code_challenge: challenge },
      /is not registered for Desk <App>/,
    ],
  ] as const) {
    const page = await browser.get(authorizationUrl(hub, params));
    assert.equal(page.status, 400);
    assert.equal(page.location, null);
    assert.match(alertOf(page) ?? '', message);
  }
  // A trusted redirect URI: the error goes back to the client, with state and iss (RFC 9207).
  for (const [params, error] of [
    [{}, 'invalid_request'],
    [{ code_challenge: challenge, code_challenge_method: 'plain' }, 'invalid_request'],
    [{ code_challenge: challenge, response_type: 'token' }, 'unsupported_response_type'],
    [{ code_challenge: challenge, resource: 'https://other-hub.example/mcp' }, 'invalid_target'],
    [{ code_challenge: challenge, resource: `${hub.url}/mcp/nothing` }, 'invalid_target'],
    [{ code_challenge: challenge, scope: 'read root' }, 'invalid_scope'],
  ] as const) {
    const page = await browser.get(authorizationUrl(hub, params));
    assert.equal(page.status, 303, `${JSON.stringify(params)}: ${page.html}`);
    const back = new URL(page.location ?? '');
    assert.equal(`${back.origin}${back.pathname}`, REDIRECT);
    assert.deepEqual(
      [back.searchParams.get('error'), back.searchParams.get('state'), back.searchParams.get('iss')],
      [error, 'st-1', hub.url],
    );
  }

  // The consent page escapes what clients control and names who asks, where the answer goes and what for.
  const consent = await browser.get(authorizationUrl(hub, { code_challenge: challenge, scope: 'read' }));
  assert.equal(consent.status, 200);
  assert.match(consent.html, /Desk &lt;App&gt;/);
  assert.doesNotMatch(consent.html, /<App>/);
  assert.match(consent.html, /127\.0\.0\.1:9999/);
  assert.match(consent.html, /<strong>read<\/strong>/);
  assert.doesNotMatch(consent.html, /<script|style=/);
  const csp = (await fetch(authorizationUrl(hub, { code_challenge: challenge }))).headers.get(
    'content-security-policy',
  );
  assert.match(
    csp ?? '',
    /default-src 'none'; style-src 'self'.*form-action 'self' http:\/\/127\.0\.0\.1:9999/,
  );

  // Codes: bound to the client, the redirect URI and the verifier; used once.
  const back = await authorizeInBrowser(browser, authorizationUrl(hub, { code_challenge: challenge }), {
    username: 'ada',
    password: PASSWORD,
  });
  const code = back.searchParams.get('code') ?? '';
  const exchange = (fields: Record<string, string>) =>
    token(hub, {
      grant_type: 'authorization_code',
      client_id: APP,
      code,
      redirect_uri: REDIRECT,
      code_verifier: verifier,
      ...fields,
    });
  assert.equal((await exchange({ code_verifier: pkce().verifier })).body.error, 'invalid_grant');
  // The failed attempt spent the code: a code is good for one try.
  assert.equal((await exchange({})).body.error, 'invalid_grant');

  // Denying returns access_denied.
  const denied = await authorizeInBrowser(
    new FetchBrowser(),
    authorizationUrl(hub, { code_challenge: challenge }),
    {
      username: '',
      password: '',
      decision: 'deny',
    },
  );
  assert.deepEqual(
    [denied.searchParams.get('error'), denied.searchParams.get('iss')],
    ['access_denied', hub.url],
  );
});

test('resource binding: a token for /mcp is refused at /mcp/<server>, and one for /mcp/<server> at /mcp', async (t) => {
  const hub = await oauthHub(t);
  const forHub = await signIn(hub, { resource: `${hub.url}/mcp` });
  assert.equal((await mcp(hub.mcpUrl, forHub.access_token)).status, 200);
  const elsewhere = await mcp(`${hub.mcpUrl}/fix`, forHub.access_token);
  assert.equal(elsewhere.status, 401);
  assert.match(
    elsewhere.challenge,
    new RegExp(`error_description="the token was issued for ${hub.url}/mcp, not ${hub.url}/mcp/fix"`),
  );
  const forFix = await signIn(hub, { resource: `${hub.url}/mcp/fix` });
  assert.equal((await mcp(`${hub.mcpUrl}/fix`, forFix.access_token)).status, 200);
  assert.equal((await mcp(hub.mcpUrl, forFix.access_token)).status, 401);
  // A refresh cannot move a grant to another resource.
  const moved = await token(hub, {
    grant_type: 'refresh_token',
    client_id: APP,
    refresh_token: forFix.refresh_token ?? '',
    resource: `${hub.url}/mcp`,
  });
  assert.equal(moved.body.error, 'invalid_target');
  // The operator's token is bound to no resource: it works everywhere on this hub.
  assert.equal((await mcp(`${hub.mcpUrl}/fix`, hub.operatorToken ?? '')).status, 200);
});

test('step-up: a 403 names the missing scope and the client can ask for it', async (t) => {
  const hub = await oauthHub(t);
  const reader = await signIn(hub, { scope: 'read' });
  const refused = await callTool(hub.mcpUrl, reader.access_token, 'fix__update_watched');
  assert.equal(refused.status, 403);
  assert.match(
    refused.challenge,
    /error="insufficient_scope", scope="write", resource_metadata="[^"]+\/mcp"/,
  );
  // A refresh cannot widen the grant; a new authorization with the challenged scope can.
  const widened = await token(hub, {
    grant_type: 'refresh_token',
    client_id: APP,
    refresh_token: reader.refresh_token ?? '',
    scope: 'read write',
  });
  assert.equal(widened.body.error, 'invalid_scope');
  const writer = await signIn(hub, { scope: 'read write' });
  assert.equal((await callTool(hub.mcpUrl, writer.access_token, 'fix__update_watched')).status, 200);
  // What the person does not hold is not granted, even when asked for.
  const admin = await signIn(hub, { scope: 'read admin' });
  assert.equal(admin.scope, 'read');
});

test('revocation (RFC 7009): a revoked access token or refresh token is refused', async (t) => {
  const hub = await oauthHub(t);
  const tokens = await signIn(hub);
  const revoke = (fields: Record<string, string>) =>
    fetch(`${hub.url}/oauth/revoke`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: APP, ...fields }),
    });
  // Someone else's or a made-up token: 200 all the same, nothing happens.
  assert.equal((await revoke({ token: 'made-up' })).status, 200);
  assert.equal((await revoke({ token: tokens.access_token, client_id: 'other-client' })).status, 401);
  assert.equal((await mcp(hub.mcpUrl, tokens.access_token)).status, 200);

  assert.equal((await revoke({ token: tokens.access_token, token_type_hint: 'access_token' })).status, 200);
  const refused = await mcp(hub.mcpUrl, tokens.access_token);
  assert.equal(refused.status, 401);
  assert.match(refused.challenge, /the token was revoked/);
  // The grant itself stands until its refresh token is revoked.
  const refreshed = await token(hub, {
    grant_type: 'refresh_token',
    client_id: APP,
    refresh_token: tokens.refresh_token ?? '',
  });
  assert.equal(refreshed.status, 200);
  assert.equal((await revoke({ token: refreshed.body.refresh_token ?? '' })).status, 200);
  assert.equal((await mcp(hub.mcpUrl, refreshed.body.access_token)).status, 401);
  const again = await token(hub, {
    grant_type: 'refresh_token',
    client_id: APP,
    refresh_token: refreshed.body.refresh_token ?? '',
  });
  assert.equal(again.body.error, 'invalid_grant');
});

test('dynamic registration (RFC 7591): a confidential client registers, signs a person in, authenticates with its secret', async (t) => {
  const hub = await oauthHub(t);
  const register = (body: unknown) =>
    fetch(`${hub.url}/oauth/register`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
  for (const [body, error] of [
    [{ redirect_uris: ['http://evil.example/cb'] }, 'invalid_redirect_uri'],
    [{ redirect_uris: [REDIRECT], grant_types: ['client_credentials'] }, 'invalid_client_metadata'],
    [{ redirect_uris: [REDIRECT], token_endpoint_auth_method: 'private_key_jwt' }, 'invalid_client_metadata'],
    [{}, 'invalid_redirect_uri'],
  ] as const) {
    const response = await register(body);
    assert.equal(response.status, 400);
    assert.equal(((await response.json()) as { error: string }).error, error);
  }
  const response = await register({
    client_name: 'Registered app',
    redirect_uris: ['http://localhost:7777/cb'],
    grant_types: ['authorization_code', 'refresh_token'],
  });
  assert.equal(response.status, 201);
  const client = (await response.json()) as {
    client_id: string;
    client_secret: string;
    token_endpoint_auth_method: string;
  };
  assert.equal(client.token_endpoint_auth_method, 'client_secret_basic');
  const { verifier, challenge } = pkce();
  const browser = new FetchBrowser();
  const url = authorizationUrl(hub, {
    client_id: client.client_id,
    redirect_uri: 'http://localhost:54321/cb',
    code_challenge: challenge,
  });
  const consent = await browser.get(url);
  assert.match(consent.html, /not verified/, 'a self-registered name is marked as unverified');
  assert.match(consent.html, /an app on this computer/, 'a loopback redirect is warned about');
  const back = await authorizeInBrowser(browser, url, { username: 'ada', password: PASSWORD });
  const fields = {
    grant_type: 'authorization_code',
    code: back.searchParams.get('code') ?? '',
    code_verifier: verifier,
    redirect_uri: 'http://localhost:54321/cb',
  };
  const basic = (secret: string) => ({
    Authorization: `Basic ${Buffer.from(`${client.client_id}:${secret}`).toString('base64')}`,
  });
  const wrong = await token(hub, fields, basic('wrong'));
  assert.deepEqual([wrong.status, wrong.body.error], [401, 'invalid_client']);
  const issued = await token(hub, fields, basic(client.client_secret));
  assert.equal(issued.status, 200, JSON.stringify(issued.body));
  assert.equal((await mcp(hub.mcpUrl, issued.body.access_token)).status, 200);
});

test('sign-in: a wrong password is refused, attempts are rate-limited, CSRF is checked', async (t) => {
  const hub = await oauthHub(t, { signInAttempts: { burst: 3, perMinute: 1 } });
  const browser = new FetchBrowser();
  const url = authorizationUrl(hub, { code_challenge: pkce().challenge });
  const fields = formOf(await browser.get(url), '/oauth/authorize');
  const attempt = (password: string, extra: Record<string, string> = {}) =>
    browser.post(`${hub.url}/oauth/authorize`, {
      ...fields,
      username: 'ada',
      password,
      decision: 'approve',
      ...extra,
    });

  const forged = await attempt(PASSWORD, { csrf: 'forged' });
  assert.equal(forged.status, 403);
  assert.match(alertOf(forged) ?? '', /CSRF/);
  const stranger = await new FetchBrowser().post(`${hub.url}/oauth/authorize`, {
    ...fields,
    username: 'ada',
    password: PASSWORD,
    decision: 'approve',
  });
  assert.equal(stranger.status, 403, 'the token belongs to another browser’s cookie');

  const wrong = await attempt('not the password');
  assert.equal(wrong.status, 401);
  assert.equal(alertOf(wrong), 'Wrong user name or password.');
  assert.equal((await attempt('still wrong')).status, 401);
  await attempt('third wrong');
  const limited = await attempt(PASSWORD);
  assert.equal(limited.status, 429);
  assert.match(alertOf(limited) ?? '', /Too many sign-in attempts/);
});

test('client credentials: a configured machine client acts as its hub user; an app for people gets no machine token', async (t) => {
  const secret = randomBytes(32).toString('base64url');
  const hub = await oauthHub(t, {
    clients: {
      [APP]: { name: 'Desk app', redirectUris: [REDIRECT] },
      nightly: {
        name: 'Nightly job',
        grantTypes: ['client_credentials'],
        secretSha256: createHash('sha256').update(secret).digest('hex'),
        user: 'ada',
        scopes: ['read'],
      },
    },
  });
  const ada = await hub.users?.get('ada');
  const issued = await token(hub, {
    grant_type: 'client_credentials',
    client_id: 'nightly',
    client_secret: secret,
  });
  assert.equal(issued.status, 200, JSON.stringify(issued.body));
  assert.equal(issued.body.scope, 'read');
  assert.equal(issued.body.refresh_token, undefined);
  const who = await callTool(hub.mcpUrl, issued.body.access_token, 'fix__whoami');
  assert.equal(who.body.result?.structuredContent?.['subject'], ada?.did);
  assert.equal(
    (await token(hub, { grant_type: 'client_credentials', client_id: 'nightly', client_secret: 'nope' }))
      .status,
    401,
  );
  assert.equal(
    (await token(hub, { grant_type: 'client_credentials', client_id: APP })).body.error,
    'unauthorized_client',
    'a person-facing app gets no machine token',
  );
});
