import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PlexusError } from '../lib/errors.ts';
import {
  DEFAULT_KV_QUOTA,
  SandboxPolicy,
  type SandboxPolicyInput,
  type SandboxToolManifest,
} from '../schemas/sandbox/tool-package.ts';
import { grantPermissions, POLICY_CAPS } from './permissions.ts';

const AUTHOR = 'did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK';
const OTHER = 'did:key:z6MkjchhfUsD6mmvni8mCdXHw216Xrm9bQe2mBH1P5RDjVJG';

function manifest(
  permissions: Partial<SandboxToolManifest['permissions']> = {},
  name = 'tool',
): SandboxToolManifest {
  return {
    name,
    version: '1.0.0',
    description: 'test tool',
    inputSchema: { type: 'object' },
    outputSchema: { type: 'object' },
    permissions: { fs: [], net: [], memoryMb: 32, timeMs: 1000, ...permissions },
    entry: 'index.js',
    author: AUTHOR,
    entrySha256: '0'.repeat(64),
    signature: 'x',
  };
}

const ctx = { workspace: '/ws', home: '/home/u' };
const policy = (input: SandboxPolicyInput) => SandboxPolicy.parse(input);

function refusedWith(code: string) {
  return (error: unknown) => error instanceof PlexusError && error.code === code;
}

test('an empty policy grants no capabilities and caps limits', () => {
  const grant = grantPermissions(
    manifest({
      fs: [{ path: '/data', access: 'read' }],
      net: ['api.example.com'],
      kv: true,
      wasm: true,
      memoryMb: 512,
      timeMs: 60_000,
    }),
    policy({}),
    ctx,
  );
  assert.deepEqual(grant.fs, []);
  assert.deepEqual(grant.net, []);
  assert.equal(grant.kv, false);
  assert.equal(grant.wasm, false);
  assert.deepEqual(grant.kvQuota, DEFAULT_KV_QUOTA);
  assert.equal(grant.memoryMb, POLICY_CAPS.memoryMb);
  assert.equal(grant.timeMs, POLICY_CAPS.timeMs);
  assert.deepEqual(grant.narrowed, [
    'fs read /data',
    'net api.example.com',
    'kv',
    'wasm',
    `memoryMb 512→${POLICY_CAPS.memoryMb}`,
    `timeMs 60000→${POLICY_CAPS.timeMs}`,
  ]);
});

test('grants the intersection of manifest and policy', () => {
  const grant = grantPermissions(
    manifest({
      fs: [
        { path: 'out', access: 'write' },
        { path: '~/notes', access: 'read' },
        { path: '/etc', access: 'read' },
        { path: '/srv/docs/a', access: 'write' },
      ],
      net: ['api.example.com', 'cdn.example.com:8443', 'evil.com'],
      kv: true,
      memoryMb: 16,
      timeMs: 500,
    }),
    policy({
      defaults: {
        fs: [
          { path: '.', access: 'write' },
          { path: '~', access: 'read' },
          { path: '/srv/docs', access: 'read' },
        ],
        net: ['*.example.com'],
        kv: true,
        memoryMb: 64,
        cpuMs: 200,
      },
    }),
    ctx,
  );
  assert.deepEqual(grant.fs, [
    { path: '/ws/out', access: 'write' },
    { path: '/home/u/notes', access: 'read' },
    { path: '/srv/docs/a', access: 'read' },
  ]);
  assert.deepEqual(grant.net, ['api.example.com']);
  assert.equal(grant.kv, true);
  assert.equal(grant.memoryMb, 16);
  assert.equal(grant.timeMs, 500);
  assert.equal(grant.cpuMs, 200);
  assert.deepEqual(grant.narrowed, [
    'fs read /etc',
    'fs write /srv/docs/a',
    'net cdn.example.com:8443',
    'net evil.com',
  ]);
});

test('wasm needs both the manifest and policy; the kv quota comes from policy, else the defaults', () => {
  const both = grantPermissions(
    manifest({ kv: true, wasm: true }),
    policy({ defaults: { kv: true, wasm: true, kvQuota: { bytes: 4096 } } }),
    ctx,
  );
  assert.equal(both.wasm, true);
  assert.deepEqual(both.kvQuota, { bytes: 4096, keys: DEFAULT_KV_QUOTA.keys });
  assert.deepEqual(both.narrowed, []);
  const unasked = grantPermissions(manifest(), policy({ defaults: { wasm: true } }), ctx);
  assert.equal(unasked.wasm, false);
  assert.deepEqual(unasked.narrowed, []);
  const tooSmall = SandboxPolicy.safeParse({ defaults: { kvQuota: { bytes: 10 } } });
  assert.deepEqual(tooSmall.error?.issues[0]?.path, ['defaults', 'kvQuota', 'bytes']);
});

test('the most specific rule applies: tool, then author, then defaults', () => {
  const p = policy({
    defaults: { net: ['a.example'] },
    authors: { [AUTHOR]: { net: ['b.example'] } },
    tools: { special: { net: ['c.example'] } },
  });
  const asks = { net: ['a.example', 'b.example', 'c.example'] };
  assert.deepEqual(grantPermissions(manifest(asks, 'special'), p, ctx).net, ['c.example']);
  assert.deepEqual(grantPermissions(manifest(asks, 'plain'), p, ctx).net, ['b.example']);
  assert.deepEqual(grantPermissions({ ...manifest(asks, 'plain'), author: OTHER }, p, ctx).net, [
    'a.example',
  ]);
});

test('denied tools and authors are refused', () => {
  assert.throws(
    () => grantPermissions(manifest(), policy({ tools: { tool: { deny: true } } }), ctx),
    refusedWith('tool_denied'),
  );
  assert.throws(
    () => grantPermissions(manifest(), policy({ authors: { [AUTHOR]: { deny: true } } }), ctx),
    refusedWith('tool_denied'),
  );
  assert.throws(
    () => grantPermissions(manifest(), policy({ defaults: { deny: true } }), ctx),
    refusedWith('tool_denied'),
  );
});

test('minimum trust refuses unknown and low-trust authors', () => {
  const p = policy({ minTrust: 0.5 });
  assert.throws(() => grantPermissions(manifest(), p, ctx), refusedWith('author_untrusted'));
  assert.throws(
    () => grantPermissions(manifest(), p, { ...ctx, trust: 0.49 }),
    refusedWith('author_untrusted'),
  );
  assert.equal(grantPermissions(manifest(), p, { ...ctx, trust: 0.5 }).narrowed.length, 0);
});

test("overAsk 'refuse' rejects a manifest asking for more than policy allows", () => {
  const p = policy({ overAsk: 'refuse', defaults: { net: ['api.example.com'] } });
  assert.equal(grantPermissions(manifest({ net: ['api.example.com'] }), p, ctx).net.length, 1);
  assert.throws(
    () => grantPermissions(manifest({ net: ['api.example.com', 'other.com'] }), p, ctx),
    (error: unknown) =>
      error instanceof PlexusError &&
      error.code === 'permissions_refused' &&
      /net other\.com/.test(error.message),
  );
});
