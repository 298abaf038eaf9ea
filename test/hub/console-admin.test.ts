import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { setTimeout as delay } from 'node:timers/promises';
import { alertOf, FetchBrowser, formOf, type Page } from '../helpers/oauth-browser.ts';
import { freshPgDatabase } from '../helpers/services.ts';
import { connectClient, FIXTURE_SCRIPT, fixtureFactory, startTestHub } from './helpers.ts';

const PASSWORD = 'correct horse battery';

/** Lists tools at `url` with `token`, which must be refused (401): the WWW-Authenticate challenge. */
async function refusal(url: string, token: string): Promise<string> {
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      Authorization: `Bearer ${token}`,
      'Content-Type': 'application/json',
      Accept: 'application/json, text/event-stream',
    },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} }),
  });
  assert.equal(response.status, 401);
  return response.headers.get('www-authenticate') ?? '';
}

/** Polls `check` until it gives something, within a bound long enough for a busy machine. */
async function eventually<T>(what: string, check: () => Promise<T | undefined | false>): Promise<T> {
  for (let attempt = 0; attempt < 600; attempt++) {
    const found = await check();
    if (found) return found;
    await delay(200);
  }
  assert.fail(`never happened: ${what}`);
}

/** Signs `name` in to the console; the browser keeps the session. */
async function signIn(url: string, name: string): Promise<FetchBrowser> {
  const browser = new FetchBrowser();
  const form = await browser.get(`${url}/console/signin`);
  const signedIn = await browser.post(`${url}/console/signin`, {
    ...formOf(form, '/console/signin'),
    username: name,
    password: PASSWORD,
  });
  assert.equal(signedIn.location, `${url}/console`, alertOf(signedIn) ?? signedIn.html);
  return browser;
}

/** Posts a console form as the page shows it; follows the redirect back to the page and returns it. */
async function act(
  browser: FetchBrowser,
  url: string,
  page: string,
  action: string,
  fields: Record<string, string>,
): Promise<Page> {
  const shown = await browser.get(`${url}${page}`);
  const answer = await browser.post(`${url}${action}`, { ...formOf(shown, action), ...fields });
  assert.equal(answer.status, 303, answer.html);
  return browser.get(answer.location ?? '');
}

test(
  'console admin: mount a server by command, switch a tool off, unmount it, bad input named, operators only, CSRF checked',
  { timeout: 180_000 },
  async (t) => {
    const hub = await startTestHub(
      t,
      { servers: { identity: {}, registry: {}, router: {} } },
      { components: { fix: fixtureFactory } },
    );
    assert.ok(hub.users && hub.operatorToken);
    await hub.users.add('ada', PASSWORD, ['read', 'write', 'admin']);
    await hub.users.add('grace', PASSWORD, ['read', 'write']);
    const ada = await signIn(hub.url, 'ada');

    // Mounted by command: its tools join /mcp once it is up, and clients are told.
    const client = await connectClient(t, hub.mcpUrl, { token: hub.operatorToken });
    const names = async () => (await client.listTools()).tools.map((tool) => tool.name);
    const joined = new Promise<void>((resolve) => {
      client.setNotificationHandler('notifications/tools/list_changed', async () => {
        if ((await names()).includes('kid__test_simple_text')) resolve();
      });
    });
    const mounted = await act(ada, hub.url, '/console/servers', '/console/admin/mount', {
      name: 'kid',
      command: `${process.execPath} ${FIXTURE_SCRIPT} --stdio --scheme kid`,
    });
    assert.match(mounted.html, /kid is mounted/);
    await joined;

    // One of its tools switched off: gone from /mcp, and its page says so.
    const switched = await act(ada, hub.url, '/console/servers/kid', '/console/admin/switch', {
      kind: 'tool',
      name: 'kid__test_simple_text',
      enabled: 'false',
    });
    assert.match(switched.html, /kid__test_simple_text is disabled/);
    assert.ok(!(await names()).includes('kid__test_simple_text'));
    assert.ok((await names()).includes('kid__test_image_content'));

    // Bad input comes back naming the form's field.
    const badName = await act(ada, hub.url, '/console/servers', '/console/admin/mount', {
      name: 'no spaces',
      url: 'http://127.0.0.1:1/mcp',
    });
    assert.match(alertOf(badName) ?? '', /^Name: must be 1-30 letters/);
    const both = await act(ada, hub.url, '/console/servers', '/console/admin/mount', {
      name: 'x',
      url: 'http://127.0.0.1:1/mcp',
      command: 'node',
    });
    assert.match(alertOf(both) ?? '', /either a URL or a command/);
    const shortPassword = await act(ada, hub.url, '/console/users', '/console/admin/users/add', {
      name: 'linus',
      password: 'short',
      role: 'user',
    });
    assert.match(alertOf(shortPassword) ?? '', /^Password: must be \d+ to \d+ characters/);
    const noTools = await act(ada, hub.url, '/console/virtual', '/console/admin/virtual', { name: 'empty' });
    assert.match(alertOf(noTools) ?? '', /^Tools: choose at least one/);
    const unknownTool = await act(ada, hub.url, '/console/virtual', '/console/admin/virtual', {
      name: 'v',
      tools: 'kid__nothing',
    });
    assert.match(alertOf(unknownTool) ?? '', /no tool named kid__nothing/);

    // An operator token made in the console works until it is revoked there, then it is refused at once.
    const tokens = await ada.get(`${hub.url}/console/users`);
    const made = await ada.post(`${hub.url}/console/admin/tokens/create`, {
      ...formOf(tokens, '/console/admin/tokens/create'),
      name: 'ci',
      scopes: 'read',
      days: '1',
    });
    assert.equal(made.status, 200, made.html);
    const token = /<textarea[^>]*id="operator-token"[^>]*>([^<]+)<\/textarea>/.exec(made.html)?.[1] ?? '';
    const ci = await connectClient(t, hub.mcpUrl, { token, era: 'modern' });
    assert.ok((await ci.listTools()).tools.length > 0);
    const revoked = await act(ada, hub.url, '/console/users', '/console/admin/revoke', {
      subject: 'operator:ci',
      reason: 'rotated',
    });
    assert.match(revoked.html, /operator:ci is revoked/);
    assert.match(await refusal(hub.mcpUrl, token), /operator:ci was revoked by an operator/);

    // The admin actions are in the event stream, with who did them.
    const events = await ada.get(`${hub.url}/console/events`);
    assert.match(events.html, /admin\.server_mounted/);
    assert.match(events.html, /admin\.tool_disabled/);
    assert.match(events.html, /admin\.operator_token_created/);
    assert.match(events.html, /admin\.revoked/);

    // Without a sandbox mounted, its page says so plainly.
    const sandbox = await ada.get(`${hub.url}/console/sandbox`);
    assert.match(sandbox.html, /No sandbox is mounted in this hub/);

    // A user without the admin scope sees the console but may not act, nor open the users page.
    const grace = await signIn(hub.url, 'grace');
    const page = await grace.get(`${hub.url}/console/servers`);
    assert.equal(page.status, 200);
    assert.doesNotMatch(page.html, /\/console\/admin\//);
    assert.equal((await grace.get(`${hub.url}/console/users`)).status, 404);
    const refused = await grace.post(`${hub.url}/console/admin/switch`, {
      ...formOf(page, '/console/signout'),
      kind: 'server',
      name: 'kid',
      enabled: 'false',
    });
    assert.equal(refused.status, 403);
    assert.ok((await names()).includes('kid__test_image_content'));

    // A form without this browser's CSRF token is refused.
    const forged = await ada.post(`${hub.url}/console/admin/switch`, {
      csrf: 'forged',
      kind: 'server',
      name: 'kid',
      enabled: 'false',
    });
    assert.equal(forged.status, 403);

    // Unmounting: operators only; a core server stays, with the reason; kid goes, and its tools with it.
    const servers = await grace.get(`${hub.url}/console/servers`);
    const notOperator = await grace.post(`${hub.url}/console/admin/unmount`, {
      ...formOf(servers, '/console/signout'),
      name: 'kid',
    });
    assert.equal(notOperator.status, 403);
    const core = await act(ada, hub.url, '/console/servers', '/console/admin/unmount', { name: 'identity' });
    assert.match(alertOf(core) ?? '', /identity is a core server of the network; it cannot be unmounted/);
    const configured = await act(ada, hub.url, '/console/servers', '/console/admin/unmount', { name: 'fix' });
    assert.match(alertOf(configured) ?? '', /fix is mounted by plexus\.json; remove it there/);
    const unknown = await act(ada, hub.url, '/console/servers', '/console/admin/unmount', { name: 'nope' });
    assert.match(alertOf(unknown) ?? '', /No server named 'nope' is mounted/);
    const left = new Promise<void>((resolve) => {
      client.setNotificationHandler('notifications/tools/list_changed', async () => {
        if (!(await names()).some((n) => n.startsWith('kid__'))) resolve();
      });
    });
    const unmounted = await act(ada, hub.url, '/console/servers', '/console/admin/unmount', { name: 'kid' });
    assert.match(unmounted.html, /kid is unmounted/);
    assert.doesNotMatch(unmounted.html, /href="\/console\/servers\/kid"/);
    await left;
    const after = await ada.get(`${hub.url}/console/events`);
    assert.match(after.html, /admin\.unmount[\s\S]*?kid[\s\S]*?ada/);
  },
);

test(
  'console revoke: a DID is revoked in the identity server in the operator’s name, and refused saying who and why',
  { timeout: 180_000 },
  async (t) => {
    const hub = await startTestHub(t, { servers: { identity: {}, registry: {}, router: {} } });
    assert.ok(hub.users && hub.operatorToken);
    const adaDid = (await hub.users.add('ada', PASSWORD, ['read', 'write', 'admin'])).did;
    const ada = await signIn(hub.url, 'ada');
    // Added in the console, linus is registered with identity at once.
    await act(ada, hub.url, '/console/users', '/console/admin/users/add', {
      name: 'linus',
      password: PASSWORD,
      role: 'user',
    });
    const linusDid = (await hub.users.get('linus'))?.did ?? '';
    const operator = await connectClient(t, hub.mcpUrl, { token: hub.operatorToken });
    const call = async <T>(name: string, args: Record<string, unknown>): Promise<T> => {
      const result = await operator.callTool({ name, arguments: args });
      assert.ok(!result.isError, JSON.stringify(result.content));
      return result.structuredContent as T;
    };
    const { access_token: token } = await call<{ access_token: string }>('identity__issue_delegated_token', {
      subject: linusDid,
      scope: 'read',
      audience: hub.mcpUrl,
      client_id: 'console-test',
    });
    const linus = await connectClient(t, hub.mcpUrl, { token, era: 'modern' });
    assert.ok((await linus.listTools()).tools.length > 0);

    // Bad input is named in the form's words; a DID needs a reason.
    const noReason = await act(ada, hub.url, '/console/users', '/console/admin/revoke', {
      from: 'users',
      subject: linusDid,
    });
    assert.match(alertOf(noReason) ?? '', /^Reason: /);
    const badSubject = await act(ada, hub.url, '/console/users', '/console/admin/revoke', {
      from: 'users',
      subject: 'linus',
      reason: 'x',
    });
    assert.match(alertOf(badSubject) ?? '', /^Subject: must be a did:key or operator:<name>/);

    const revoked = await act(ada, hub.url, '/console/users', '/console/admin/revoke', {
      from: 'users',
      subject: linusDid,
      reason: 'laptop stolen',
    });
    assert.match(revoked.html, /is revoked in the whole network/);

    // The identity server holds it, naming ada as the caller its token says she is.
    const resolved = await call<{ revoked: boolean; revoked_by: string; revocation_reason: string }>(
      'identity__resolve_did',
      { did: linusDid },
    );
    assert.deepEqual(
      [resolved.revoked, resolved.revoked_by, resolved.revocation_reason],
      [true, adaDid, 'laptop stolen'],
    );

    // linus's token is refused at once, saying who revoked it and why.
    assert.match(
      await refusal(hub.mcpUrl, token),
      new RegExp(`${linusDid} was revoked by an operator \\(${adaDid}\\): laptop stolen`),
    );

    // Both the identity server's event and the console's audit entry are in the stream, with who.
    type Events = { events: { type: string; subject: string; data: Record<string, unknown> }[] };
    // Identity publishes through the router on its own time.
    const of = (type: string) =>
      eventually(`${type} for ${linusDid}`, async () => {
        const { events } = await call<Events>('router__fetch_events', { types: [type] });
        return events.find((e) => e.subject === linusDid);
      });
    const { data } = await of('identity.revoked');
    assert.deepEqual(data, { seq: data['seq'], revoked_by: adaDid, reason: 'laptop stolen' });
    assert.equal((await of('admin.revoked')).data['actor'], 'ada');
  },
);

test(
  'replicas on one database share the console settings: a mount, a virtual server, an unmount made in one reach the other',
  { timeout: 240_000 },
  async (t) => {
    const databaseUrl = await freshPgDatabase(t);
    if (!databaseUrl) return;
    const config = { databaseUrl, servers: { identity: {}, router: {} } };
    const a = await startTestHub(t, config);
    const b = await startTestHub(t, config);
    assert.ok(a.users && b.operatorToken);
    await a.users.add('ada', PASSWORD, ['read', 'write', 'admin']);
    const ada = await signIn(a.url, 'ada');
    await act(ada, a.url, '/console/servers', '/console/admin/mount', {
      name: 'kid',
      command: `${process.execPath} ${FIXTURE_SCRIPT} --stdio --scheme kid`,
    });
    const onB = await connectClient(t, b.mcpUrl, { token: b.operatorToken, era: 'modern' });
    // The other replica follows within seconds.
    const until = (what: string, check: () => Promise<boolean>) =>
      eventually(`replica b shows ${what}`, check);
    const namesOnB = async () => (await onB.listTools()).tools.map((tool) => tool.name);
    await until('kid mounted', async () => (await namesOnB()).includes('kid__test_simple_text'));

    const made = await act(ada, a.url, '/console/virtual', '/console/admin/virtual', {
      name: 'shared',
      tools: 'kid__test_simple_text',
    });
    assert.match(made.html, /shared serves 1 tool/);
    await until('the virtual server', async () => {
      const virtual = new Client({ name: 'replica-test', version: '1.0.0' });
      try {
        await virtual.connect(
          new StreamableHTTPClientTransport(new URL(`${b.url}/mcp/v/shared`), {
            requestInit: { headers: { Authorization: `Bearer ${b.operatorToken}` } },
          }),
        );
        const { tools } = await virtual.listTools();
        return tools.map((tool) => tool.name).join() === 'kid__test_simple_text';
      } catch {
        return false;
      } finally {
        await virtual.close();
      }
    });

    await act(ada, a.url, '/console/servers', '/console/admin/unmount', { name: 'kid' });
    await until('kid unmounted', async () => !(await namesOnB()).some((name) => name.startsWith('kid__')));
  },
);
