import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import {
  auth,
  Client,
  StreamableHTTPClientTransport,
  UnauthorizedError,
  type OAuthClientMetadata,
  type OAuthClientProvider,
  type OAuthDiscoveryState,
  type StoredOAuthClientInformation,
  type StoredOAuthTokens,
} from '@modelcontextprotocol/client';
import { alertOf, authorizeInBrowser, FetchBrowser } from '../helpers/oauth-browser.ts';
import { selfSignedCertificate } from '../helpers/tls.ts';
import { stdioFixtureEntry, tempDir } from './helpers.ts';

const PLEXUS = path.resolve(import.meta.dirname, '../../bin/plexus.ts');
const REDIRECT = 'http://127.0.0.1:47011/callback';
const PASSWORD = 'correct horse battery';

/** What an MCP client app keeps for one server: registration, tokens, PKCE verifier, discovery. */
class AppProvider implements OAuthClientProvider {
  readonly redirectUrl = REDIRECT;
  readonly clientMetadataUrl: string | undefined;
  readonly clientMetadata: OAuthClientMetadata = {
    client_name: 'SDK test app',
    redirect_uris: [REDIRECT],
    grant_types: ['authorization_code', 'refresh_token'],
  };
  /** Every URL the SDK sent the user's browser to. */
  readonly redirects: URL[] = [];
  lastState = '';
  #client: StoredOAuthClientInformation | undefined;
  #tokens: StoredOAuthTokens | undefined;
  #verifier = '';
  #discovery: OAuthDiscoveryState | undefined;

  constructor(clientMetadataUrl?: string) {
    this.clientMetadataUrl = clientMetadataUrl;
  }

  state() {
    this.lastState = crypto.randomUUID();
    return this.lastState;
  }
  clientInformation() {
    return this.#client;
  }
  saveClientInformation(info: StoredOAuthClientInformation) {
    this.#client = info;
  }
  tokens() {
    return this.#tokens;
  }
  saveTokens(tokens: StoredOAuthTokens) {
    this.#tokens = tokens;
  }
  redirectToAuthorization(url: URL) {
    this.redirects.push(url);
  }
  saveCodeVerifier(verifier: string) {
    this.#verifier = verifier;
  }
  codeVerifier() {
    return this.#verifier;
  }
  saveDiscoveryState(state: OAuthDiscoveryState) {
    this.#discovery = state;
  }
  discoveryState() {
    return this.#discovery;
  }
}

function run(args: string[], options: { input?: string; cwd: string; env?: NodeJS.ProcessEnv }) {
  const child = spawn(process.execPath, ['--no-node-snapshot', PLEXUS, ...args], {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  child.stdin.end(options.input ?? '');
  return child;
}

async function exited(child: ChildProcess): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number>((resolve) => child.once('close', (c) => resolve(c ?? -1)));
  return { code, stdout, stderr };
}

/** `plexus hub` as a process trusting `certFile`; resolves to its URL once it listens. */
async function startHub(t: TestContext, dir: string, certFile: string): Promise<string> {
  const hub = run(['hub'], {
    cwd: dir,
    env: { PLEXUS_PORT: '0', PLEXUS_LOG_LEVEL: 'warn', NODE_EXTRA_CA_CERTS: certFile },
  });
  t.after(async () => {
    if (hub.exitCode !== null) return;
    const gone = new Promise((resolve) => hub.once('exit', resolve));
    hub.kill('SIGTERM');
    await gone;
  });
  let stdout = '';
  let stderr = '';
  hub.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise<string>((resolve, reject) => {
    hub.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const url = /Plexus hub listening on (http:\/\/\S+)/.exec(stdout)?.[1];
      if (url) resolve(url);
    });
    hub.once('exit', (code) => reject(new Error(`hub exited with ${code}: ${stderr}`)));
  });
}

/** The SDK's auth(): discovery, registration, redirect; the test is the browser; then the code exchange. */
async function signInWithSdk(provider: AppProvider, serverUrl: string, scope?: string): Promise<void> {
  assert.equal(await auth(provider, { serverUrl, ...(scope ? { scope } : {}) }), 'REDIRECT');
  const back = await authorizeInBrowser(new FetchBrowser(), (provider.redirects.at(-1) as URL).href, {
    username: 'ada',
    password: PASSWORD,
  });
  assert.equal(back.searchParams.get('state'), provider.lastState);
  const code = back.searchParams.get('code');
  assert.ok(code, back.href);
  assert.equal(
    await auth(provider, { serverUrl, authorizationCode: code, iss: back.searchParams.get('iss') ?? '' }),
    'AUTHORIZED',
  );
}

async function connect(
  t: TestContext,
  url: string,
  authProvider: OAuthClientProvider | { token(): Promise<string> },
) {
  const client = new Client({ name: 'sdk-oauth-e2e', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(url), { authProvider });
  t.after(() => client.close());
  await client.connect(transport);
  return { client, transport };
}

/** The SDK's way to give a token up is not part of it: RFC 7009 by hand, as the app's client. */
async function revoke(hubUrl: string, provider: AppProvider, token: string): Promise<number> {
  const client = provider.clientInformation() as { client_id: string; client_secret?: string };
  const headers: Record<string, string> = { 'Content-Type': 'application/x-www-form-urlencoded' };
  if (client.client_secret)
    headers['Authorization'] =
      `Basic ${Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64')}`;
  const response = await fetch(`${hubUrl}/oauth/revoke`, {
    method: 'POST',
    headers,
    body: new URLSearchParams({ token, ...(client.client_secret ? {} : { client_id: client.client_id }) }),
  });
  return response.status;
}

test(
  'the SDK v2 client signs a person in with auth(): by client metadata document and by dynamic registration',
  { timeout: 300_000 },
  async (t) => {
    const dir = tempDir(t);
    const tls = selfSignedCertificate(t, dir);
    if (!tls) return;
    // The app's Client ID Metadata Document, served over https where the hub may fetch it (loopback granted).
    let origin = '';
    let documentUrl = '';
    const fetches = new Map<string, number>();
    const document = (clientId: string, extra: Record<string, unknown> = {}) =>
      JSON.stringify({
        client_id: clientId,
        client_name: 'Metadata document app',
        redirect_uris: [REDIRECT],
        grant_types: ['authorization_code', 'refresh_token'],
        token_endpoint_auth_method: 'none',
        ...extra,
      });
    const documents = https.createServer({ key: tls.key, cert: tls.cert }, (req, res) => {
      const path = req.url ?? '';
      fetches.set(path, (fetches.get(path) ?? 0) + 1);
      const json = { 'Content-Type': 'application/json', 'Cache-Control': 'max-age=60' };
      if (path === '/oauth/client.json') return void res.writeHead(200, json).end(document(documentUrl));
      if (path === '/oauth/impostor.json')
        return void res.writeHead(200, json).end(document(`${origin}/oauth/client.json`));
      if (path === '/oauth/huge.json')
        return void res.writeHead(200, json).end(document(`${origin}${path}`, { padding: 'x'.repeat(6000) }));
      if (path === '/oauth/moved.json')
        return void res.writeHead(302, { Location: '/oauth/client.json' }).end();
      res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => documents.listen(0, '127.0.0.1', resolve));
    t.after(() => new Promise<void>((resolve) => documents.close(() => resolve())));
    origin = `https://127.0.0.1:${(documents.address() as AddressInfo).port}`;
    documentUrl = `${origin}/oauth/client.json`;

    fs.writeFileSync(
      path.join(dir, 'plexus.json'),
      JSON.stringify({
        oauth: { clientMetadataDocuments: { allowAddresses: ['loopback'] } },
        mcpServers: { fix: stdioFixtureEntry() },
      }),
    );
    const added = await exited(
      run(['user', 'add', 'ada', '--password-stdin'], { cwd: dir, input: `${PASSWORD}\n` }),
    );
    assert.equal(added.code, 0, added.stderr);
    const did = /identity (did:key:\S+)/.exec(added.stdout)?.[1];
    const hubUrl = await startHub(t, dir, tls.certFile);
    const serverUrl = `${hubUrl}/mcp`;

    await t.test('client metadata document: sign in, list and call tools, refresh, revoke', async (t) => {
      const provider = new AppProvider(documentUrl);
      await signInWithSdk(provider, serverUrl);
      assert.equal(
        provider.clientInformation()?.client_id,
        documentUrl,
        'no registration: the URL is the client_id',
      );
      const consent = provider.redirects[0] as URL;
      assert.equal(consent.searchParams.get('resource'), serverUrl);
      assert.equal(consent.searchParams.get('code_challenge_method'), 'S256');

      const { client } = await connect(t, serverUrl, provider);
      const names = (await client.listTools()).tools.map((tool) => tool.name);
      assert.ok(names.includes('memory__create_entities') && names.includes('fix__whoami'));
      const who = await client.callTool({ name: 'fix__whoami', arguments: {} });
      assert.deepEqual(
        (who.structuredContent as { subject: string }).subject,
        did,
        'the person is their DID',
      );
      // Memory works for a person as for an agent: their own private graph.
      const created = await client.callTool({
        name: 'memory__create_entities',
        arguments: {
          entities: [{ name: 'Ada', entityType: 'person', observations: ['signed in by OAuth'] }],
        },
      });
      assert.ok(!created.isError, JSON.stringify(created.content));

      const before = provider.tokens();
      assert.ok(before?.refresh_token);
      assert.equal(await auth(provider, { serverUrl }), 'AUTHORIZED', 'a refresh, no browser');
      const after = provider.tokens();
      assert.ok(
        after && after.access_token !== before.access_token && after.refresh_token !== before.refresh_token,
      );
      const graph = await client.callTool({ name: 'memory__read_graph', arguments: {} });
      assert.deepEqual(
        (graph.structuredContent as { entities: { name: string }[] }).entities.map((e) => e.name),
        ['Ada'],
        'the client goes on with the refreshed token',
      );

      assert.equal(await revoke(hubUrl, provider, after.access_token), 200);
      await assert.rejects(
        connect(t, serverUrl, { token: () => Promise.resolve(after.access_token) }),
        (error: unknown) => error instanceof UnauthorizedError,
        'a revoked token is refused',
      );
    });

    await t.test(
      'metadata documents: kept as their response allows; unusable ones shown as such',
      async () => {
        assert.equal(
          fetches.get('/oauth/client.json'),
          1,
          'fetched once for the consent page, the approval and the token',
        );
        for (const [path, reason] of [
          ['/oauth/impostor.json', /names client_id https:\/\/127\.0\.0\.1:\d+\/oauth\/client\.json, not/],
          ['/oauth/huge.json', /larger than 5120 bytes/],
          ['/oauth/moved.json', /could not be fetched: more than 0 redirects/],
          ['/oauth/missing.json', /answered HTTP 404/],
        ] as const) {
          const url = new URL(`${hubUrl}/oauth/authorize`);
          url.searchParams.set('client_id', `${origin}${path}`);
          url.searchParams.set('redirect_uri', REDIRECT);
          const page = await new FetchBrowser().get(url.href);
          assert.equal(page.status, 400, path);
          assert.match(alertOf(page) ?? '', reason, path);
        }
      },
    );

    await t.test('dynamic registration: sign in with read, step up to write, refresh, revoke', async (t) => {
      const provider = new AppProvider();
      await signInWithSdk(provider, serverUrl, 'read');
      const registered = provider.clientInformation() as { client_id: string; client_secret?: string };
      assert.match(registered.client_id, /^dyn_/);
      assert.equal(provider.tokens()?.scope, 'read');

      const { client, transport } = await connect(t, serverUrl, provider);
      assert.ok((await client.listTools()).tools.length > 0);
      // A write tool: the hub answers 403 naming the scope; the SDK asks the person for it.
      await assert.rejects(
        client.callTool({ name: 'fix__update_watched', arguments: { content: 'x' } }),
        (error: unknown) => error instanceof UnauthorizedError,
      );
      const stepUp = provider.redirects.at(-1) as URL;
      assert.deepEqual(
        stepUp.searchParams
          .get('scope')
          ?.split(' ')
          .filter((s) => s !== 'offline_access')
          .sort(),
        ['read', 'write'],
      );
      const back = await authorizeInBrowser(new FetchBrowser(), stepUp.href, {
        username: 'ada',
        password: PASSWORD,
      });
      await transport.finishAuth(back.searchParams);
      assert.equal(provider.tokens()?.scope, 'read write');
      const written = await client.callTool({ name: 'fix__update_watched', arguments: { content: 'x' } });
      assert.ok(!written.isError, JSON.stringify(written.content));

      const before = provider.tokens();
      assert.equal(await auth(provider, { serverUrl }), 'AUTHORIZED');
      assert.notEqual(provider.tokens()?.access_token, before?.access_token);
      // Revoking the refresh token ends the grant: its access tokens are refused too.
      const current = provider.tokens() as StoredOAuthTokens;
      assert.equal(await revoke(hubUrl, provider, current.refresh_token ?? ''), 200);
      await assert.rejects(
        connect(t, serverUrl, { token: () => Promise.resolve(current.access_token) }),
        (error: unknown) => error instanceof UnauthorizedError,
      );
    });
  },
);
