import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { test } from 'node:test';
import { freePort } from '../helpers/ports.ts';
import { freshPgDatabase, freshRedisPrefix } from '../helpers/services.ts';

/**
 * The scaled-out acceptance run, all real processes: identity, router and registry each as `plexus serve`,
 * two `plexus hub` replicas mounting them by URL, sharing PostgreSQL and Redis. Alice reaches hub 1 through a
 * TCP balancer, Bob is on hub 2. Alice streams numbered messages to Bob; hub 1 is SIGKILLed mid-stream and
 * the balancer sends her to hub 2. Every message her application saw acknowledged reaches Bob's application
 * exactly once.
 */
const BIN = path.resolve(import.meta.dirname, '../../bin/plexus.ts');
const WAIT_MS = 120_000;
const STREAM = 24;
const SERVICE_TOKEN = 'c2NhbGUtb3V0LWUyZS1zZXJ2aWNlLXRva2VuLTAxMjM0NTY3ODk';

interface Proc {
  child: ChildProcess;
  lines: string[];
  stderr(): string;
  waitFor(pattern: RegExp, options?: { from?: number; stream?: 'stdout' | 'stderr' }): Promise<string>;
  exited: Promise<void>;
}

function launch(args: string[], env: Record<string, string>, cwd: string): Proc {
  const child = spawn(process.execPath, ['--no-node-snapshot', BIN, ...args], {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const errLines: string[] = [];
  const waiters = new Set<() => void>();
  const wake = () => {
    for (const w of waiters) w();
  };
  readline
    .createInterface({ input: child.stdout as NodeJS.ReadableStream })
    .on('line', (line) => (lines.push(line), wake()));
  readline
    .createInterface({ input: child.stderr as NodeJS.ReadableStream })
    .on('line', (line) => (errLines.push(line), wake()));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const proc: Proc = {
    child,
    lines,
    stderr: () => errLines.join('\n').slice(-4000),
    exited,
    waitFor(pattern, { from = 0, stream = 'stdout' } = {}) {
      const source = stream === 'stdout' ? lines : errLines;
      return new Promise((resolve, reject) => {
        const check = () => {
          const hit = source.slice(from).find((line) => pattern.test(line));
          if (hit === undefined) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(hit);
        };
        const fail = (why: string) => {
          waiters.delete(check);
          clearTimeout(timer);
          reject(
            new Error(
              `${why} ${pattern} (${args.slice(0, 2).join(' ')}); stdout:\n${lines.join('\n')}\nstderr:\n${proc.stderr()}`,
            ),
          );
        };
        const timer = setTimeout(() => fail('no line matching'), WAIT_MS);
        waiters.add(check);
        void exited.then(() => setImmediate(() => waiters.has(check) && fail('exited before')));
        check();
      });
    },
  };
  return proc;
}

async function stop(proc: Proc): Promise<void> {
  if (proc.child.exitCode !== null || proc.child.signalCode !== null) return;
  proc.child.kill('SIGTERM');
  await proc.exited;
}

/** A TCP balancer: forwards to `target`; switching drops live connections as a failed backend would. */
async function balancer(
  initial: number,
): Promise<{ port: number; switchTo(port: number): void; close(): Promise<void> }> {
  let target = initial;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(target, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    switchTo(port) {
      target = port;
      for (const s of sockets) s.destroy();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

test(
  'two hubs on shared PostgreSQL + Redis: chat survives SIGKILL of one hub, no message lost or doubled',
  { timeout: 300_000 },
  async (t) => {
    const databaseUrl = await freshPgDatabase(t);
    const redis = await freshRedisPrefix(t);
    if (!databaseUrl || !redis) return;
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'plexus-scale-'));
    const procs: Proc[] = [];
    t.after(async () => {
      for (const proc of procs.reverse()) await stop(proc);
      fs.rmSync(root, { recursive: true, force: true });
    });
    const [hub1Port, hub2Port] = [await freePort(), await freePort()];
    const lb = await balancer(hub1Port);
    t.after(() => lb.close());
    const hub1Url = `http://127.0.0.1:${hub1Port}`;
    const hub2Url = `http://127.0.0.1:${hub2Port}`;
    const lbUrl = `http://127.0.0.1:${lb.port}`;

    const shared = {
      PLEXUS_DATABASE_URL: databaseUrl,
      PLEXUS_REDIS_URL: redis.url,
      PLEXUS_SERVICE_TOKEN: SERVICE_TOKEN,
      PLEXUS_LOG_LEVEL: 'info',
    };
    // The servers start together on ports picked up front (their sibling links connect lazily).
    const ports = { identity: await freePort(), router: await freePort(), registry: await freePort() };
    const urlOf = (name: keyof typeof ports) => `http://127.0.0.1:${ports[name]}/mcp`;
    async function serve(name: keyof typeof ports, siblings: (keyof typeof ports)[], extra = {}) {
      const dir = path.join(root, name);
      fs.mkdirSync(dir);
      const args = ['serve', name, '--port', String(ports[name]), '--data', dir];
      for (const sibling of siblings) args.push('--sibling', `${sibling}=${urlOf(sibling)}`);
      const proc = launch(args, { ...shared, ...extra }, root);
      procs.push(proc);
      await proc.waitFor(/^plexus serve \w+: http:\/\//, { stream: 'stderr' });
    }
    await Promise.all([
      // Identity accepts client assertions addressed to either hub's token endpoint (and the balancer's).
      serve('identity', [], {
        PLEXUS_TOKEN_ENDPOINTS: [hub1Url, hub2Url, lbUrl].map((u) => `${u}/oauth/token`).join(','),
      }),
      serve('router', ['identity']),
      serve('registry', ['identity', 'router']),
    ]);
    const [identity, router, registry] = [urlOf('identity'), urlOf('router'), urlOf('registry')];

    // Two hub replicas mounting the same servers by URL; llm and memory are not needed for chat.
    const hubConfig = path.join(root, 'plexus.json');
    fs.writeFileSync(
      hubConfig,
      JSON.stringify({ servers: { llm: { enabled: false }, memory: { enabled: false } } }),
    );
    function startHub(port: number, n: number): Proc {
      const proc = launch(
        ['hub', '--port', String(port), '--data', path.join(root, `hub${n}`), '--config', hubConfig],
        {
          ...shared,
          PLEXUS_IDENTITY_URL: identity,
          PLEXUS_ROUTER_URL: router,
          PLEXUS_REGISTRY_URL: registry,
        },
        root,
      );
      procs.push(proc);
      return proc;
    }
    const hub1 = startHub(hub1Port, 1);
    const hub2 = startHub(hub2Port, 2);
    await hub1.waitFor(/listening on http/);
    await hub2.waitFor(/listening on http/);

    // Alice's brain streams numbered messages to whoever says "burst"; a failed send is retried as a new
    // attempt (a new envelope), and only a resolved send counts as acknowledged.
    const brain = path.join(root, 'stream-brain.mjs');
    fs.writeFileSync(
      brain,
      `const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
    export function createBrain() {
      return {
        async onMessage(msg, ctx) {
          if (msg.text !== 'burst') return;
          for (let i = 1; i <= ${STREAM}; i++) {
            for (let attempt = 1; ; attempt++) {
              try {
                await ctx.reply(msg.from, 'm' + i + '.' + attempt);
                console.log('acked m' + i + '.' + attempt);
                break;
              } catch (error) {
                console.log('failed m' + i + '.' + attempt + ' ' + (error && error.code));
                await sleep(250);
              }
            }
            await sleep(120);
          }
          // A closing message: once Bob has it, any late duplicate of the stream would have arrived before it.
          for (;;) {
            try {
              await ctx.reply(msg.from, 'fin');
              break;
            } catch {
              await sleep(250);
            }
          }
          console.log('burst done');
        },
        async onTask() { return { state: 'failed', error: 'no tasks' }; },
      };
    }\n`,
    );
    async function cli(args: string[], env: Record<string, string>, stdin = ''): Promise<string> {
      const proc = launch(args, env, root);
      proc.child.stdin?.end(stdin);
      await proc.exited;
      assert.equal(proc.child.exitCode, 0, proc.stderr());
      return proc.lines.join('\n');
    }
    const fast = {
      PLEXUS_RECONNECT_INTERVAL_MS: '200',
      PLEXUS_INBOX_POLL_MS: '500',
      PLEXUS_LOG_LEVEL: 'info',
    };
    await Promise.all(
      ['alice', 'bob'].map(async (name) => {
        await cli(
          ['agent', 'init', '--dir', name, '--name', name, '--passphrase-stdin'],
          {},
          `${name}-pass\n`,
        );
        fs.writeFileSync(path.join(root, name, 'agent.json'), JSON.stringify({ defaultTools: false }));
      }),
    );
    const alice = launch(
      ['agent', 'start', '--dir', 'alice', '--brain', brain],
      { ...fast, PLEXUS_HUB: lbUrl, PLEXUS_PASSPHRASE: 'alice-pass' },
      root,
    );
    procs.push(alice);
    const bob = launch(
      ['agent', 'start', '--dir', 'bob'],
      { ...fast, PLEXUS_HUB: hub2Url, PLEXUS_PASSPHRASE: 'bob-pass' },
      root,
    );
    procs.push(bob);
    await alice.waitFor(/^agent ready/);
    await bob.waitFor(/^agent ready/);
    // Both speak MCP 2026-07-28 to their hub, and hear of their mail on a listen stream that reaches the
    // router through the hub.
    for (const name of ['alice', 'bob']) {
      const log = fs.readFileSync(path.join(root, name, 'logs', 'agent.log'), 'utf8');
      const connected = log
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as { msg: string; protocol?: string; updates?: string })
        .find((entry) => entry.msg === 'connected');
      assert.deepEqual([connected?.protocol, connected?.updates], ['2026-07-28', 'listen'], name);
    }

    // Bob (hub 2) asks Alice (hub 1) for the stream; a third of the way in, hub 1 dies.
    await cli(['agent', 'send', '--dir', 'bob', '--to', 'alice', 'burst'], {
      ...fast,
      PLEXUS_HUB: hub2Url,
      PLEXUS_PASSPHRASE: 'bob-pass',
    });
    await bob.waitFor(new RegExp(`^message from alice: m${Math.floor(STREAM / 3)}\\.`));
    const mark = alice.lines.length;
    hub1.child.kill('SIGKILL');
    await hub1.exited;
    lb.switchTo(hub2Port);
    await alice.waitFor(/^burst done$/, { from: mark });
    assert.ok(
      alice.lines.slice(mark).some((line) => /^(hub connection lost|connected to )/.test(line)),
      `alice noticed the failover:\n${alice.lines.join('\n')}`,
    );

    const acked = alice.lines.filter((l) => l.startsWith('acked ')).map((l) => l.slice('acked '.length));
    assert.equal(
      new Set(acked.map((a) => a.split('.')[0])).size,
      STREAM,
      'every message was acknowledged once',
    );
    for (const text of acked)
      await bob.waitFor(new RegExp(`^message from alice: ${text.replace('.', '\\.')}$`));
    await bob.waitFor(/^message from alice: fin$/);
    const received = bob.lines
      .filter((l) => l.startsWith('message from alice: m'))
      .map((l) => l.slice('message from alice: '.length));
    assert.equal(
      received.length,
      new Set(received).size,
      `a message reached Bob twice: ${received.join(' ')}`,
    );
    for (const text of acked) assert.ok(received.includes(text), `acknowledged ${text} never reached Bob`);
    // Anything else Bob saw was a send whose acknowledgement was lost with hub 1: stored, then retried.
    for (const text of received.filter((r) => !acked.includes(r))) {
      assert.ok(
        alice.lines.includes(`failed ${text} hub_unreachable`) ||
          alice.lines.some((l) => l.startsWith(`failed ${text} `)),
        `${text} was neither acked nor failed`,
      );
    }
  },
);
