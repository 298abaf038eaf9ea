import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import type { Page } from 'playwright-core';
import { launchChromium } from '../helpers/browser.ts';
import { initAgent, launch, runCli, stop, type Proc } from '../helpers/plexus-process.ts';
import { newAuthor, signedFixtures } from '../../sandbox/test-support.ts';
import { startTestHub } from './helpers.ts';

const PASSWORD = 'correct horse battery';
const AXE = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

// A brain that only takes its mail: the runtime fetches, hands over and acknowledges each message.
const BRAIN = `export function createBrain() {
  return { async onMessage() {}, async onTask() { return { state: 'failed', error: 'no tasks here' }; } };
}
`;

interface AxeResult {
  violations: { id: string; impact: string | null; help: string; nodes: { target: unknown[] }[] }[];
}

/** Runs axe-core in the page (evaluated through the DevTools protocol, so the page's CSP stays as it is). */
async function accessibilityViolations(page: Page): Promise<string[]> {
  await page.evaluate(AXE);
  const result = await page.evaluate<AxeResult>(
    "axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] } })",
  );
  return result.violations.map(
    (v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => JSON.stringify(n.target)).join(', ')}`,
  );
}

async function connectSdk(url: string, token: string, era: 'modern' | 'legacy'): Promise<Client> {
  const client = new Client(
    { name: 'console-test', version: '1.0.0' },
    era === 'modern' ? { versionNegotiation: { mode: { pin: '2026-07-28' } } } : {},
  );
  await client.connect(
    new StreamableHTTPClientTransport(new URL(url), {
      requestInit: { headers: { Authorization: `Bearer ${token}` } },
    }),
  );
  return client;
}

test(
  'the console in a real browser: sign in, agents appear, counters move, revoke refuses, a virtual server lists only its tools, every page accessible',
  { timeout: 300_000 },
  async (t) => {
    const chromium = await launchChromium(t);
    if (!chromium) return;

    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'plexus-console-'));
    t.after(() => fs.rmSync(root, { recursive: true, force: true }));
    // The hub mounts a sandbox too, with one signed tool, for its page.
    const toolsDir = path.join(root, 'tools');
    fs.mkdirSync(toolsDir);
    await signedFixtures(toolsDir, ['echo'], newAuthor());
    const hub = await startTestHub(t, {
      servers: {
        identity: {},
        registry: {},
        router: {},
        sandbox: {
          settings: { toolsDir, workers: 1, watch: false, policy: { workspace: path.join(root, 'ws') } },
        },
      },
    });
    assert.ok(hub.users && hub.operatorToken);
    await hub.users.add('ada', PASSWORD, ['read', 'write', 'admin']);

    const passphrase = `console-${process.pid}`;
    fs.writeFileSync(path.join(root, 'brain.mjs'), BRAIN);
    const agentEnv = {
      PLEXUS_HUB: hub.url,
      PLEXUS_PASSPHRASE: passphrase,
      PLEXUS_INBOX_POLL_MS: '200',
      PLEXUS_RECONNECT_INTERVAL_MS: '200',
    };
    const procs: Proc[] = [];
    t.after(async () => {
      for (const proc of procs) await stop(proc);
    });
    const [aliceDid] = await Promise.all([
      initAgent(root, 'alice', { passphrase, config: { defaultTools: false } }),
      initAgent(root, 'bob', { passphrase, config: { defaultTools: false } }),
    ]);

    const context = await chromium.newContext();
    const page = await context.newPage();
    // Nothing on the pages may trip their own Content-Security-Policy, nor fail in their script.
    const problems: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text()) || message.type() === 'error')
        problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));

    // Signed out: the console sends the browser to its sign-in page, served under a strict CSP.
    const first = await page.goto(`${hub.url}/console`);
    assert.equal(first?.status(), 200);
    assert.equal(new URL(page.url()).pathname, '/console/signin');
    assert.match(first?.headers()['content-security-policy'] ?? '', /default-src 'none'; script-src 'self'/);
    assert.deepEqual(await accessibilityViolations(page), []);
    await page.getByLabel('User name').fill('ada');
    await page.getByLabel('Password').fill('wrong password!');
    await page.getByRole('button', { name: 'Sign in' }).click();
    assert.match(await page.getByRole('alert').innerText(), /Wrong user name or password/);
    // That refusal (HTTP 401) is the one resource error expected in this test.
    problems.length = 0;
    await page.getByLabel('User name').fill('ada');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${hub.url}/console`);
    assert.match(await page.locator('header').innerText(), /ada\s+operator/);
    await page.locator('.live-status[data-state="live"]').waitFor();

    // An agent appears on the agents page, live, when it starts.
    await page.getByRole('link', { name: 'Agents' }).click();
    await page.locator('.live-status[data-state="live"]').waitFor();
    const alice = launch(
      ['agent', 'start', '--dir', 'alice', '--brain', path.join(root, 'brain.mjs')],
      agentEnv,
      root,
    );
    procs.push(alice);
    await alice.waitFor(/^agent ready/);
    const aliceRow = page.locator(`tr[data-did="${aliceDid}"]`);
    await aliceRow.waitFor();
    assert.match(await aliceRow.innerText(), /alice\s+online/);

    // Two agents chat: the message counters move.
    await page.getByRole('link', { name: 'Messages' }).click();
    await page.locator('.live-status[data-state="live"]').waitFor();
    assert.equal(await page.locator('#flow-sent-total').innerText(), '0');
    const sent = await runCli(
      ['agent', 'send', '--dir', 'bob', '--to', aliceDid, 'hello from bob'],
      agentEnv,
      root,
    );
    assert.equal(sent.code, 0, sent.stderr);
    for (const stage of ['sent', 'delivered', 'acked']) {
      await page.locator(`#flow-${stage}-total`, { hasText: /^1$/ }).waitFor();
    }

    // Revoking alice, with a reason: revoked in the whole network in ada's name. The running agent learns it
    // and stops with one line saying who revoked it and why; the row says so; alice is refused.
    await page.getByRole('link', { name: 'Agents' }).click();
    await page.getByLabel('Why revoke alice').fill('left the team');
    await page.getByRole('button', { name: 'Revoke alice' }).click();
    assert.match(await page.locator('p.done').innerText(), /is revoked in the whole network/);
    const last = await alice.waitForStderr(/was revoked/);
    assert.match(
      last,
      new RegExp(`^plexus agent: ${aliceDid} was revoked by an operator \\(did:key:\\w+\\): left the team$`),
    );
    assert.equal(await alice.exited, 1);
    await page.locator(`tr[data-did="${aliceDid}"]`, { hasText: 'by an operator: left the team' }).waitFor();
    const refused = await runCli(
      ['agent', 'send', '--dir', 'alice', '--to', 'bob', 'still here?'],
      agentEnv,
      root,
    );
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /was revoked by an operator \(did:key:\w+\): left the team/);
    await page.getByRole('link', { name: 'Events' }).click();
    const revokedEvent = page.locator('tr.admin', { hasText: 'admin.revoked' });
    await revokedEvent.waitFor();
    assert.match(await revokedEvent.innerText(), new RegExp(`${aliceDid}[\\s\\S]*ada`));

    // A virtual server of two tools: an SDK client of either era lists exactly those.
    await page.getByRole('link', { name: 'Virtual servers' }).click();
    await page.getByLabel('Name', { exact: true }).fill('observer');
    await page.getByLabel('router__fetch_events').check();
    await page.getByLabel('registry__find_agents').check();
    await page.getByRole('button', { name: 'Create' }).click();
    assert.match(await page.locator('p.done').innerText(), /observer serves 2 tool/);
    for (const era of ['modern', 'legacy'] as const) {
      const client = await connectSdk(`${hub.url}/mcp/v/observer`, hub.operatorToken, era);
      const { tools } = await client.listTools();
      assert.deepEqual(tools.map((tool) => tool.name).sort(), [
        'registry__find_agents',
        'router__fetch_events',
      ]);
      const found = await client.callTool({ name: 'registry__find_agents', arguments: {} });
      assert.equal(found.isError, undefined);
      await assert.rejects(client.callTool({ name: 'router__send_message', arguments: {} }), {
        data: { field: 'name', code: 'unknown_tool' },
      });
      await client.close();
    }

    // The sandbox page shows the pool, and a tool's calls as they happen.
    await page.getByRole('link', { name: 'Sandbox' }).click();
    await page.locator('.live-status[data-state="live"]').waitFor();
    assert.equal(await page.locator('#sandbox-idle').innerText(), '1');
    const caller = await connectSdk(hub.mcpUrl, hub.operatorToken, 'modern');
    const echoed = await caller.callTool({ name: 'sandbox__echo', arguments: { text: 'hi' } });
    assert.equal(echoed.isError, undefined, JSON.stringify(echoed.content));
    await caller.close();
    await page.locator('tr[data-tool="echo"] td:nth-child(3)', { hasText: /^1$/ }).waitFor();

    // Every page passes the accessibility check, and no page broke its CSP or its script.
    for (const pathname of [
      '/console',
      '/console/agents',
      '/console/tasks',
      '/console/messages',
      '/console/servers',
      '/console/servers/router',
      '/console/sandbox',
      '/console/events',
      '/console/virtual',
      '/console/users',
    ]) {
      const response = await page.goto(`${hub.url}${pathname}`);
      assert.equal(response?.status(), 200, pathname);
      await page.locator('.live-status[data-state="live"]').waitFor();
      assert.deepEqual(await accessibilityViolations(page), [], pathname);
    }
    assert.deepEqual(problems, []);
    await stop(alice);
  },
);
