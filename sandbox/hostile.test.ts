import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
  existsSync,
} from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Client } from '@modelcontextprotocol/client';
import { silentLogger } from '../lib/log.ts';
import { authInfoFor, connectInProcess } from '../lib/mcp/in-process.ts';
import { toolErrorOf, type ToolErrorInfo } from '../lib/mcp/result.ts';
import type { SandboxPolicyInput } from '../schemas/sandbox/tool-package.ts';
import { createSandbox, type Sandbox } from './component.ts';
import { processRuns } from '../lib/pid.ts';
import { newAuthor, signedFixtures, tempDir } from './test-support.ts';

const HOSTILE = [
  'echo',
  'sync-loop',
  'async-loop',
  'never-settles',
  'memory-bomb',
  'deep-recursion',
  'gigantic-output',
  'probe',
  'proto-tamper',
  'fetch-private',
  'fs-escape',
  'wasm-bomb',
  'atomics-wait',
  'string-bomb',
  'kv-hoarder',
];

interface Harness {
  sandbox: Sandbox;
  client: Client;
  workspace: string;
  dataDir: string;
  /** Every worker pid seen so far. */
  seen: Set<number>;
  call(name: string, args: Record<string, unknown>): Promise<CallResult>;
}

interface CallResult {
  isError?: boolean;
  structuredContent?: Record<string, unknown>;
}

function errorOf(result: CallResult): ToolErrorInfo {
  const error = toolErrorOf(result);
  assert.ok(error, `expected an error, got ${JSON.stringify(result.structuredContent)}`);
  return error;
}

async function harness(
  t: { after(fn: () => Promise<void> | void): void },
  options: {
    policy?: SandboxPolicyInput;
    workers?: number;
    maxQueue?: number;
    /** Manifest permissions to replace, by fixture name. */
    permissions?: Record<string, Record<string, unknown>>;
    hosts?: Record<string, string[]>;
  } = {},
): Promise<Harness> {
  const root = tempDir(t);
  const toolsDir = path.join(root, 'tools');
  const workspace = path.join(root, 'workspace');
  const dataDir = path.join(root, 'data');
  mkdirSync(toolsDir);
  mkdirSync(workspace);
  await signedFixtures(toolsDir, HOSTILE, newAuthor(), options.permissions);
  const policy: SandboxPolicyInput = options.policy ?? {
    defaults: { fs: [{ path: 'granted', access: 'write' }], net: ['localhost:*', '*.test:*'], kv: true },
  };
  const seen = new Set<number>();
  let sandbox: Sandbox | null = null;
  t.after(async () => {
    await sandbox?.close();
    for (const pid of seen) assert.equal(processRuns(pid), false, `worker ${pid} left behind`);
  });
  sandbox = await createSandbox(
    {
      toolsDir,
      policy: { workspace, ...policy },
      workers: options.workers ?? 2,
      ...(options.maxQueue !== undefined ? { maxQueue: options.maxQueue } : {}),
      watch: false,
    },
    {
      dataDir,
      log: silentLogger,
      hosts: options.hosts ?? {
        'rebind.test': ['10.0.0.1'],
        'metadata.test': ['169.254.169.254'],
        'v6.test': ['::1'],
      },
    },
  );
  const live = sandbox;
  for (const pid of live.supervisor.pids()) seen.add(pid);
  const client = await connectInProcess(live.createServer(), {
    authInfo: authInfoFor('operator:test', ['write']),
  });
  t.after(() => client.close());
  return {
    sandbox: live,
    client,
    workspace,
    dataDir,
    seen,
    async call(name, args) {
      const result = (await client.callTool({ name, arguments: args })) as CallResult;
      for (const pid of live.supervisor.pids()) seen.add(pid);
      return result;
    },
  };
}

/** The host still answers, and the pool is back to full strength with live workers. */
async function assertHealthy(h: Harness, workers = 2): Promise<void> {
  const result = await h.call('echo', { text: 'still here' });
  assert.deepEqual(result.structuredContent, { echo: 'still here' });
  const pids = h.sandbox.supervisor.pids();
  assert.equal(pids.length, workers);
  for (const pid of pids) assert.equal(processRuns(pid), true);
  const dead = [...h.seen].filter((pid) => !pids.includes(pid));
  for (const pid of dead) assert.equal(processRuns(pid), false, `replaced worker ${pid} still running`);
}

test('hostile tools end with clear errors; the host stays up and leaves no worker behind', async (t) => {
  const h = await harness(t);

  await t.test('sync infinite loop', async () => {
    const error = errorOf(await h.call('sync-loop', {}));
    assert.match(error.code, /^(cpu_limit|timeout)$/);
    assert.match(error.message, /sync-loop: .*(CPU|deadline)/);
    await assertHealthy(h);
  });

  await t.test('async infinite loop (never-ending promise chain)', async () => {
    const error = errorOf(await h.call('async-loop', {}));
    assert.match(error.code, /^(cpu_limit|timeout)$/);
    await assertHealthy(h);
  });

  await t.test('a result that never settles', async () => {
    const error = errorOf(await h.call('never-settles', {}));
    assert.equal(error.code, 'timeout');
    assert.match(error.message, /400 ms deadline/);
    await assertHealthy(h);
  });

  await t.test('memory bomb', async () => {
    const error = errorOf(await h.call('memory-bomb', {}));
    assert.equal(error.code, 'memory_limit');
    await assertHealthy(h);
  });

  await t.test('Atomics.wait, which nothing could wake, fails at once naming itself', async () => {
    const error = errorOf(await h.call('atomics-wait', {}));
    assert.equal(error.code, 'tool_error');
    assert.match(error.message, /TypeError: Atomics\.wait is not available in the sandbox/);
    await assertHealthy(h);
  });

  await t.test(
    'a string bomb: one allocation far past the limit, which the isolate cannot interrupt',
    async () => {
      const error = errorOf(await h.call('string-bomb', {}));
      assert.equal(error.code, 'memory_limit');
      // Named by the watchdog (the worker grew far past the limit) or by the isolate's own check.
      assert.match(error.message, /exceeded its 16 MB memory limit/);
      await assertHealthy(h);
    },
  );

  await t.test('deep recursion', async () => {
    const error = errorOf(await h.call('deep-recursion', {}));
    assert.equal(error.code, 'tool_error');
    assert.match(error.message, /RangeError: Maximum call stack size exceeded/);
    await assertHealthy(h);
  });

  await t.test('gigantic output and a log flood', async () => {
    const error = errorOf(await h.call('gigantic-output', {}));
    assert.match(error.code, /^(output_too_large|memory_limit)$/);
    await assertHealthy(h);
  });

  await t.test('process, require, import and constructor probing', async () => {
    const expected: Record<string, RegExp> = {
      process: /ReferenceError: process is not defined/,
      require: /ReferenceError: require is not defined/,
      // V8 without a dynamic-import host hook refuses it outright.
      import: /imports are not available|Error: Not supported/,
      'function-constructor': /TypeError: Cannot read properties of undefined \(reading 'binding'\)/,
      globalThis: /TypeError: Cannot read properties of undefined \(reading 'exit'\)/,
    };
    for (const [probe, pattern] of Object.entries(expected)) {
      const error = errorOf(await h.call('probe', { probe }));
      assert.match(error.message, pattern, probe);
    }
    const globals = await h.call('probe', { probe: 'globals' });
    const names = (globals.structuredContent as { names: string[] }).names;
    for (const forbidden of [
      'process',
      'require',
      'module',
      'Buffer',
      'global',
      'fetch',
      'setInterval',
      'queueMicrotask',
    ]) {
      assert.equal(names.includes(forbidden), false, forbidden);
    }
    assert.ok(names.includes('console') && names.includes('setTimeout') && names.includes('JSON'));
    await assertHealthy(h);
  });

  await t.test('prototype tampering through callback arguments', async () => {
    const error = errorOf(await h.call('proto-tamper', { mode: 'attack' }));
    assert.equal(error.code, 'tool_error');
    assert.match(error.message, /TypeError: Cannot read properties of undefined \(reading 'exit'\)/);
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
    // What was stored is the literal JSON, with `__proto__` as an ordinary key; a fresh isolate reads it.
    const read = await h.call('proto-tamper', { mode: 'read' });
    assert.equal(read.isError, undefined);
    const stored = (read.structuredContent as { stored: Record<string, unknown> }).stored;
    assert.deepEqual(Object.keys(stored).sort(), ['__proto__', 'constructor']);
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
    await assertHealthy(h);
  });

  await t.test('fetch to loopback, link-local metadata, private and names resolving to them', async (t) => {
    let connections = 0;
    const server = http.createServer((_req, res) => res.end('secret'));
    server.on('connection', () => connections++);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const port = (server.address() as AddressInfo).port;
    const cases: [string, RegExp][] = [
      [`http://127.0.0.1:${port}/`, /net 127\.0\.0\.1:\d+: not in the granted hosts.*policy did not grant/],
      ['http://169.254.169.254/latest/meta-data/', /net 169\.254\.169\.254:80: not in the granted hosts/],
      ['http://10.1.2.3:8080/', /net 10\.1\.2\.3:8080: not in the granted hosts/],
      [`http://localhost:${port}/`, /localhost resolves to (127\.0\.0\.1|::1) \(loopback address\)/],
      ['http://rebind.test/', /rebind\.test resolves to 10\.0\.0\.1 \(private address\)/],
      ['http://metadata.test/', /metadata\.test resolves to 169\.254\.169\.254 \(metadata address\)/],
      [`http://[::1]:${port}/`, /net ::1:\d+: not in the granted hosts/],
      ['file:///etc/passwd', /only http and https/],
    ];
    for (const [url, pattern] of cases) {
      const error = errorOf(await h.call('fetch-private', { url }));
      assert.match(error.message, pattern, url);
      if (!url.startsWith('file:')) assert.equal(error.code, 'permission_denied', url);
    }
    assert.equal(connections, 0, 'refused before connecting');
    await assertHealthy(h);
  });

  await t.test('../ and symlink escapes from a granted root', async () => {
    const granted = path.join(h.workspace, 'granted');
    mkdirSync(granted);
    writeFileSync(path.join(granted, 'ok.txt'), 'inside');
    writeFileSync(path.join(h.workspace, 'secret.txt'), 'outside');
    symlinkSync(path.join(h.workspace, 'secret.txt'), path.join(granted, 'link.txt'));
    symlinkSync(h.workspace, path.join(granted, 'dirlink'));
    symlinkSync(path.join(h.workspace, 'planted.txt'), path.join(granted, 'dangling.txt'));

    const ok = await h.call('fs-escape', { op: 'read', path: 'ok.txt' });
    assert.deepEqual(ok.structuredContent, { content: 'inside' });
    const denied: [string, string, RegExp][] = [
      ['read', '../secret.txt', /fs read: .*secret\.txt is outside the granted roots/],
      ['read', path.join(h.workspace, 'secret.txt'), /is outside the granted roots/],
      ['read', '/etc/passwd', /is outside the granted roots/],
      ['read', 'link.txt', /resolves to .*secret\.txt, outside the granted roots/],
      ['read', 'dirlink/secret.txt', /resolves to .*secret\.txt, outside the granted roots/],
      ['list', 'dirlink', /outside the granted roots/],
      ['write', '../escaped.txt', /fs write: .* is outside the granted roots/],
      ['write', 'link.txt', /is a symbolic link|outside the granted roots/],
      ['write', 'dangling.txt', /is a symbolic link|outside the granted roots/],
      ['write', 'dirlink/escaped.txt', /outside the granted roots/],
    ];
    for (const [op, p, pattern] of denied) {
      const error = errorOf(await h.call('fs-escape', { op, path: p }));
      assert.equal(error.code, 'permission_denied', `${op} ${p}`);
      assert.match(error.message, pattern, `${op} ${p}`);
    }
    assert.equal(readFileSync(path.join(h.workspace, 'secret.txt'), 'utf8'), 'outside');
    assert.equal(existsSync(path.join(h.workspace, 'escaped.txt')), false);
    assert.equal(existsSync(path.join(h.workspace, 'planted.txt')), false);
    // Failures that are not refusals name their operating-system cause.
    mkdirSync(path.join(granted, 'folder'));
    execFileSync('mkfifo', [path.join(granted, 'fifo')]);
    const failures: [string, string, RegExp][] = [
      ['write', 'folder', /fs\.writeFile: folder: is a directory \(EISDIR\)/],
      ['write', 'ok.txt/inner.txt', /not a directory \(ENOTDIR\)/],
      ['read', 'ok.txt/inner.txt', /not a directory \(ENOTDIR\)/],
      ['write', `${'n'.repeat(300)}.txt`, /the name is too long \(ENAMETOOLONG\)/],
      ['read', 'missing.txt', /no such file or directory \(ENOENT\)/],
      // Opening a FIFO would wait for a writer while holding a host thread.
      ['read', 'fifo', /fs\.readFile: fifo: not a regular file/],
      ['write', 'fifo', /not a regular file/],
      ['list', 'ok.txt', /fs\.readdir: ok\.txt: a part of the path is not a directory \(ENOTDIR\)/],
    ];
    for (const [op, p, pattern] of failures) {
      const error = errorOf(await h.call('fs-escape', { op, path: p }));
      assert.equal(error.code, 'tool_error', `${op} ${p}`);
      assert.match(error.message, pattern, `${op} ${p}`);
    }
    const written = await h.call('fs-escape', { op: 'write', path: 'new.txt' });
    assert.deepEqual(written.structuredContent, { written: 'new.txt' });
    assert.equal(readFileSync(path.join(granted, 'new.txt'), 'utf8'), 'owned');
    assert.deepEqual(readdirSync(h.workspace).sort(), ['granted', 'secret.txt']);
    await assertHealthy(h);
  });

  await t.test('50 concurrent runs', async () => {
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => h.call('echo', { text: `run ${i}`, sleepMs: i % 5 })),
    );
    results.forEach((result, i) => assert.deepEqual(result.structuredContent, { echo: `run ${i}` }));
    await assertHealthy(h);
  });

  await t.test('hostile and benign calls interleaved concurrently', async () => {
    const results = await Promise.all([
      h.call('sync-loop', {}),
      h.call('never-settles', {}),
      ...Array.from({ length: 10 }, (_, i) => h.call('echo', { text: `mix ${i}` })),
    ]);
    assert.equal(results[0]?.isError, true);
    assert.equal(results[1]?.isError, true);
    results.slice(2).forEach((result, i) => assert.deepEqual(result.structuredContent, { echo: `mix ${i}` }));
    await assertHealthy(h);
  });
});

test('fetch reaches a private address only when it is granted by literal IP', async (t) => {
  let requests = 0;
  const server = http.createServer((_req, res) => {
    requests++;
    res.end('hello from loopback');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const port = (server.address() as AddressInfo).port;
  const h = await harness(t, {
    workers: 1,
    policy: { tools: { 'fetch-private': { net: ['127.0.0.1:*'] } } },
  });
  const ok = await h.call('fetch-private', { url: `http://127.0.0.1:${port}/` });
  assert.deepEqual(ok.structuredContent, { status: 200, body: 'hello from loopback' });
  assert.equal(requests, 1);
  // localhost is granted by neither name nor policy here.
  const error = errorOf(await h.call('fetch-private', { url: `http://localhost:${port}/` }));
  assert.equal(error.code, 'permission_denied');
  assert.equal(requests, 1);
});

/** An HTTP server on loopback port 0 that counts its connections. */
async function loopbackServer(
  t: { after(fn: () => Promise<void>): void },
  body: string,
): Promise<{ port: number; connections: () => number }> {
  let connections = 0;
  const server = http.createServer((_req, res) => res.end(body));
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { port: (server.address() as AddressInfo).port, connections: () => connections };
}

test('a name resolving to a special address reaches only the exact address and port granted', async (t) => {
  const granted = await loopbackServer(t, 'granted service');
  const secret = await loopbackServer(t, 'secret');
  const h = await harness(t, {
    workers: 1,
    policy: { defaults: { net: ['*'] } },
    permissions: {
      'fetch-private': {
        net: [`127.0.0.1:${granted.port}`, `0.0.0.0:${granted.port}`, 'localhost:*', 'zero.test:*'],
      },
    },
    // Fixed answers, so the test does not depend on whether this machine's localhost also has ::1.
    hosts: { localhost: ['127.0.0.1'], 'zero.test': ['0.0.0.0'] },
  });
  for (const url of [
    `http://127.0.0.1:${granted.port}/`,
    `http://localhost:${granted.port}/`,
    `http://zero.test:${granted.port}/`,
  ]) {
    const ok = await h.call('fetch-private', { url });
    assert.deepEqual(ok.structuredContent, { status: 200, body: 'granted service' }, url);
  }
  const refused: [string, RegExp][] = [
    [
      `http://localhost:${secret.port}/`,
      new RegExp(
        String.raw`localhost resolves to 127\.0\.0\.1 \(loopback address\) and 127\.0\.0\.1:${secret.port} is not granted`,
      ),
    ],
    [
      `http://zero.test:${secret.port}/`,
      new RegExp(
        String.raw`zero\.test resolves to 0\.0\.0\.0 \(unspecified address\) and 0\.0\.0\.0:${secret.port} is not granted`,
      ),
    ],
    [`http://0.0.0.0:${secret.port}/`, /not in the granted hosts/],
  ];
  for (const [url, pattern] of refused) {
    const error = errorOf(await h.call('fetch-private', { url }));
    assert.equal(error.code, 'permission_denied', url);
    assert.match(error.message, pattern, url);
  }
  assert.equal(secret.connections(), 0, 'the ungranted port was never connected to');
  await assertHealthy(h, 1);
});

test('WebAssembly is off unless policy grants it', async (t) => {
  const h = await harness(t, { workers: 1, policy: { defaults: {} } });
  const detected = await h.call('wasm-bomb', { mode: 'detect' });
  assert.deepEqual(detected.structuredContent, { available: 'undefined' });
  for (const mode of ['add', 'grow-module']) {
    const error = errorOf(await h.call('wasm-bomb', { mode }));
    assert.equal(error.code, 'permission_denied', mode);
    assert.match(
      error.message,
      /permission denied: wasm: not granted to tool 'wasm-bomb' \(the manifest asked for wasm; operator policy did not grant it\)/,
    );
  }
  await assertHealthy(h, 1);
});

test('granted WebAssembly memory counts against the memory limit: every way to grow it is refused', async (t) => {
  const h = await harness(t, { workers: 1, policy: { defaults: { wasm: true } } });
  const added = await h.call('wasm-bomb', { mode: 'add' });
  assert.deepEqual(added.structuredContent, { sum: 5 });
  const sync = await h.call('wasm-bomb', { mode: 'sync-add' });
  assert.deepEqual(sync.structuredContent, { sum: 42, pages: 2 });
  // The tool is limited to 16 MB; each mode would hold 128 MB (or 24 MB) of WebAssembly memory if let.
  const bombs: [string, RegExp][] = [
    ['grow-module', /WebAssembly\.Instance\(\): 128 MB of WebAssembly memory .* 16 MB memory limit/],
    [
      'compiled-twice',
      /WebAssembly\.Instance\(\): 12 MB of WebAssembly memory .* \(12(\.\d)? MB of WebAssembly memory already/,
    ],
    ['js-memory', /WebAssembly\.Memory\(\): 1 MB of WebAssembly memory .* 16 MB memory limit/],
    ['js-grow', /WebAssembly\.Memory\(\): 128 MB of WebAssembly memory/],
    ['constructor-escape', /WebAssembly\.Memory\(\): 1 MB of WebAssembly memory .* 16 MB memory limit/],
    ['tampered-intrinsics', /128 MB of WebAssembly memory .* 16 MB memory limit/],
    ['no-maximum', /a memory the module defines has no maximum/],
    ['js-no-maximum', /a maximum \(in 64 KiB pages\) is needed/],
    ['shared', /shared memory is not available/],
  ];
  for (const [mode, pattern] of bombs) {
    const error = errorOf(await h.call('wasm-bomb', { mode }));
    assert.equal(error.code, 'memory_limit', mode);
    assert.match(error.message, pattern, mode);
    // A refusal resets the isolate: the next call reserves from nothing, even after js-memory used it all.
    const again = await h.call('wasm-bomb', { mode: 'add' });
    assert.deepEqual(again.structuredContent, { sum: 5 }, `after ${mode}`);
    await assertHealthy(h, 1);
  }
});

test('the kv store has a byte and a key quota, and lives owner-only under the data dir', async (t) => {
  const h = await harness(t, {
    workers: 1,
    policy: { tools: { 'kv-hoarder': { kv: true, kvQuota: { bytes: 256 * 1024, keys: 100 } } } },
  });
  const big = errorOf(
    await h.call('kv-hoarder', { mode: 'fill', prefix: 'big', valueBytes: 60_000, count: 64 }),
  );
  assert.equal(big.code, 'quota_exceeded');
  assert.match(
    big.message,
    /QuotaExceeded: quota exceeded: kv bytes: writing 'big4' would bring tool 'kv-hoarder' to \d+ bytes .*quota of 262144 bytes/,
  );
  const cleared = await h.call('kv-hoarder', { mode: 'clear' });
  assert.deepEqual(cleared.structuredContent, { cleared: 4 });
  const many = errorOf(await h.call('kv-hoarder', { mode: 'fill', prefix: 'k', valueBytes: 1, count: 500 }));
  assert.equal(many.code, 'quota_exceeded');
  assert.match(many.message, /quota exceeded: kv keys: tool 'kv-hoarder' already keeps 100 keys, its quota/);
  await h.call('kv-hoarder', { mode: 'clear' });
  const fits = await h.call('kv-hoarder', { mode: 'fill', prefix: 'again', valueBytes: 60_000, count: 4 });
  assert.deepEqual(fits.structuredContent, { stored: 4 });

  const store = path.join(h.dataDir, 'sandbox', 'kv.sqlite');
  assert.equal(statSync(store).mode & 0o777, 0o600);
  assert.equal(statSync(path.dirname(store)).mode & 0o777, 0o700);
  assert.equal(existsSync(path.join(process.cwd(), 'sandbox', 'kv.sqlite')), false);
  await assertHealthy(h, 1);
});

test('a full queue answers sandbox_busy instead of waiting without bound', async (t) => {
  const h = await harness(t, { workers: 1, maxQueue: 2 });
  const results = await Promise.all(
    Array.from({ length: 8 }, (_, i) => h.call('echo', { text: `q${i}`, sleepMs: 50 })),
  );
  const busy = results.filter((r) => r.isError);
  assert.ok(busy.length >= 1, 'some calls were refused');
  for (const r of busy) assert.equal(errorOf(r).code, 'sandbox_busy');
  assert.ok(results.filter((r) => !r.isError).length >= 3);
  await assertHealthy(h, 1);
});
