import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { launchChromium } from '../helpers/browser.ts';
import { fixtureFactory, startTestHub } from './helpers.ts';

const PASSWORD = 'correct horse battery';

test(
  'a real browser: sign in on the consent page, approve and deny, CSRF refused, wrong password, approved clients revoked',
  { timeout: 180_000 },
  async (t) => {
    const chromium = await launchChromium(t);
    if (!chromium) return;

    // The app's redirect URI: a server that records what the hub sends back.
    const callbacks: URL[] = [];
    const app = http.createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      if (url.pathname === '/callback') callbacks.push(url);
      res
        .writeHead(200, { 'Content-Type': 'text/html' })
        .end('<!doctype html><title>Back in the app</title>');
    });
    await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
    t.after(() => new Promise<void>((resolve) => app.close(() => resolve())));
    const redirect = `http://127.0.0.1:${(app.address() as AddressInfo).port}/callback`;

    const hub = await startTestHub(
      t,
      {
        servers: { identity: {} },
        oauth: { clients: { 'browser-app': { name: 'Browser App', redirectUris: [redirect] } } },
      },
      { components: { fix: fixtureFactory } },
    );
    const ada = await hub.users?.add('ada', PASSWORD);
    assert.ok(ada);

    const verifier = randomBytes(32).toString('base64url');
    const authorize = new URL(`${hub.url}/oauth/authorize`);
    for (const [name, value] of Object.entries({
      response_type: 'code',
      client_id: 'browser-app',
      redirect_uri: redirect,
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
      scope: 'read write',
      state: 'browser-state',
      resource: hub.mcpUrl,
    }))
      authorize.searchParams.set(name, value);

    const context = await chromium.newContext();
    const page = await context.newPage();
    // Nothing on the pages may trip their own Content-Security-Policy (no inline script or style).
    const violations: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
    });

    // The consent page says who asks, where the answer goes and what for.
    const first = await page.goto(authorize.href);
    assert.equal(first?.status(), 200);
    assert.match(first?.headers()['content-security-policy'] ?? '', /default-src 'none'/);
    const text = await page.locator('main').innerText();
    assert.match(text, /Browser App/);
    assert.match(text, new RegExp(`127\\.0\\.0\\.1:${(app.address() as AddressInfo).port}`));
    assert.match(text, /read: see/);
    assert.match(text, /write: act/);
    assert.match(text, /an app on this computer/);
    const fontWeight = await page.evaluate(
      "getComputedStyle(document.querySelector('button.primary')).fontWeight",
    );
    assert.equal(fontWeight, '600', 'the stylesheet loaded under the CSP');

    // A wrong password: refused on the page, nothing sent to the app.
    await page.fill('input[name=username]', 'ada');
    await page.fill('input[name=password]', 'not the password');
    await page.click('button[value=approve]');
    assert.equal(await page.locator('[role=alert]').innerText(), 'Wrong user name or password.');
    assert.equal(callbacks.length, 0);

    // A form whose CSRF token is not this browser's: refused.
    await page.locator('input[name=csrf]').evaluate((el: { value: string }) => {
      el.value = 'forged-token';
    });
    await page.fill('input[name=username]', 'ada');
    await page.fill('input[name=password]', PASSWORD);
    const forged = await Promise.all([
      page.waitForResponse(`${hub.url}/oauth/authorize`),
      page.click('button[value=approve]'),
    ]);
    assert.equal(forged[0].status(), 403);
    assert.match(await page.locator('[role=alert]').innerText(), /CSRF check/);
    assert.equal(callbacks.length, 0);

    // Signing in and approving sends the browser back to the app with a code and the issuer.
    await page.goto(authorize.href);
    await page.fill('input[name=username]', 'ada');
    await page.fill('input[name=password]', PASSWORD);
    await Promise.all([page.waitForURL(`${redirect}?**`), page.click('button[value=approve]')]);
    const approved = callbacks.at(-1) as URL;
    assert.equal(approved.searchParams.get('state'), 'browser-state');
    assert.equal(approved.searchParams.get('iss'), hub.url);
    const exchanged = await fetch(`${hub.url}/oauth/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        client_id: 'browser-app',
        code: approved.searchParams.get('code') ?? '',
        code_verifier: verifier,
        redirect_uri: redirect,
        resource: hub.mcpUrl,
      }),
    });
    assert.equal(exchanged.status, 200);
    const tokens = (await exchanged.json()) as { access_token: string; refresh_token: string; scope: string };
    assert.equal(tokens.scope, 'read write');

    // Signed in now: the next request asks only to approve or deny; denying tells the app so.
    await page.goto(authorize.href);
    assert.match(await page.locator('main').innerText(), /Signed in as ada/);
    await Promise.all([page.waitForURL(`${redirect}?**`), page.click('button[value=deny]')]);
    const denied = callbacks.at(-1) as URL;
    assert.deepEqual(
      [denied.searchParams.get('error'), denied.searchParams.get('iss'), denied.searchParams.get('code')],
      ['access_denied', hub.url, null],
    );

    // The approved-clients page lists the app and revokes it: its tokens stop working at once.
    await page.goto(`${hub.url}/oauth/clients`);
    const listed = await page.locator('main').innerText();
    assert.match(listed, /Browser App/);
    assert.match(listed, new RegExp(ada.did));
    await page.click('button:has-text("Revoke")');
    await page.waitForURL(`${hub.url}/oauth/clients`);
    assert.match(await page.locator('main').innerText(), /You have not allowed any app yet/);
    const refreshed = await fetch(`${hub.url}/oauth/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'refresh_token',
        client_id: 'browser-app',
        refresh_token: tokens.refresh_token,
      }),
    });
    assert.equal(((await refreshed.json()) as { error: string }).error, 'invalid_grant');

    // Signing out, then the page asks for a password again.
    await page.click('button:has-text("Sign out")');
    await page.waitForURL(`${hub.url}/oauth/clients`);
    assert.match(await page.locator('main').innerText(), /Sign in to see the apps you allowed/);
    assert.deepEqual(violations, []);
  },
);
