// Takes the screenshots of docs/console/: a hub with identity, registry, router, memory and a sandbox running
// one signed tool, three agents as real child processes chatting, an operator signed in to the console in
// Debian's chromium (playwright-core).
// Run: node --no-node-snapshot scripts/console-screenshots.ts [out dir, default docs/console]
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { chromium } from 'playwright-core';
import { silentLogger } from '../lib/log.ts';
import { parseHubConfig } from '../hub/config.ts';
import { startHub } from '../hub/hub.ts';

const BIN = path.resolve(import.meta.dirname, '../bin/plexus.ts');
const OUT = path.resolve(process.argv[2] ?? path.join(import.meta.dirname, '../docs/console'));
const PASSPHRASE = `screenshots-${process.pid}`;
const PASSWORD = 'console screenshots';
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'plexus-screenshots-'));
const BRAIN = `export function createBrain() {
  return { async onMessage() {}, async onTask() { return { state: 'completed', result: { ok: true } }; } };
}
`;

/** Runs the CLI to the end; its stdout. */
function cli(args: string[], env: Record<string, string>, stdin?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--no-node-snapshot', BIN, ...args], {
      cwd: root,
      env: { ...process.env, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.stdin.end(stdin ?? '');
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${args.join(' ')}: ${err}`))));
  });
}

// The agents' identities first: carol signs the sandboxed tool the hub's sandbox runs.
const agents = ['alice', 'bob', 'carol'];
for (const name of agents) {
  await cli(['agent', 'init', '--dir', name, '--name', name, '--passphrase-stdin'], {}, `${PASSPHRASE}\n`);
  fs.writeFileSync(path.join(root, name, 'agent.json'), JSON.stringify({ defaultTools: false }));
}
const toolsDir = path.join(root, 'tools');
await cli(['tool', 'init', path.join(toolsDir, 'greet')], {});
await cli(['tool', 'sign', path.join(toolsDir, 'greet'), '--identity', 'carol/identity.json'], {
  PLEXUS_PASSPHRASE: PASSPHRASE,
});

const hub = await startHub({
  config: parseHubConfig({
    port: 0,
    dataDir: path.join(root, 'hub'),
    logLevel: 'silent',
    servers: {
      identity: {},
      registry: {},
      router: {},
      memory: {},
      sandbox: {
        settings: { toolsDir, workers: 2, watch: false, policy: { workspace: path.join(root, 'ws') } },
      },
    },
    virtualServers: {
      'read-only': {
        tools: ['memory__read_graph', 'memory__search_nodes'],
        description: 'memory, read only',
      },
    },
  }),
  log: silentLogger,
  catalogDefaults: false,
});
const children: ReturnType<typeof spawn>[] = [];
try {
  await hub.users?.add('ada', PASSWORD, ['read', 'write', 'admin']);
  await hub.users?.add('grace', PASSWORD, ['read', 'write']);
  fs.writeFileSync(path.join(root, 'brain.mjs'), BRAIN);
  const env = { PLEXUS_HUB: hub.url, PLEXUS_PASSPHRASE: PASSPHRASE, PLEXUS_INBOX_POLL_MS: '200' };
  for (const name of agents.slice(0, 2)) {
    const child = spawn(
      process.execPath,
      ['--no-node-snapshot', BIN, 'agent', 'start', '--dir', name, '--brain', path.join(root, 'brain.mjs')],
      { cwd: root, env: { ...process.env, ...env }, stdio: 'ignore' },
    );
    children.push(child);
  }
  await new Promise((resolve) => setTimeout(resolve, 5000));
  for (let i = 0; i < 4; i++) {
    await cli(['agent', 'send', '--dir', 'carol', '--to', 'alice', `hello ${i}`], env);
    await cli(['agent', 'send', '--dir', 'alice', '--to', 'bob', `hi ${i}`], env);
  }
  // A few calls of the sandboxed tool, through the hub, for the sandbox page.
  const operator = new Client({ name: 'screenshots', version: '1.0.0' });
  await operator.connect(
    new StreamableHTTPClientTransport(new URL(`${hub.url}/mcp`), {
      requestInit: { headers: { Authorization: `Bearer ${hub.operatorToken ?? ''}` } },
    }),
  );
  for (const name of ['ada', 'grace', 'linus', 'margaret', 'ken'])
    await operator.callTool({ name: 'sandbox__greet', arguments: { name } });
  await operator.close();

  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
  const page = await browser.newPage({ viewport: { width: 1280, height: 860 }, colorScheme: 'light' });
  await page.goto(`${hub.url}/console`);
  await page.getByLabel('User name').fill('ada');
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${hub.url}/console`);
  fs.mkdirSync(OUT, { recursive: true });
  const shots: [string, string][] = [
    ['overview', '/console'],
    ['agents', '/console/agents'],
    ['messages', '/console/messages'],
    ['servers', '/console/servers'],
    ['sandbox', '/console/sandbox'],
    ['server-router', '/console/servers/router'],
    ['events', '/console/events'],
    ['virtual-servers', '/console/virtual'],
    ['users', '/console/users'],
  ];
  for (const [name, pathname] of shots) {
    await page.goto(`${hub.url}${pathname}`);
    await page.locator('.live-status[data-state="live"]').waitFor();
    await page.waitForTimeout(1500);
    await page.screenshot({ path: path.join(OUT, `${name}.png`), fullPage: name !== 'virtual-servers' });
    process.stdout.write(`${name}.png\n`);
  }
  await browser.close();
} finally {
  for (const child of children) child.kill('SIGTERM');
  await hub.close();
  fs.rmSync(root, { recursive: true, force: true });
}
