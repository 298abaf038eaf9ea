import { describe, test } from 'node:test';
import { generateIdentityKeys } from '../lib/crypto/identity-keys.ts';
import { signObject } from '../lib/crypto/signed-object.ts';
import { ToolManifest, type UnsignedToolManifest } from './tool-manifest.ts';
import { REMOVE, assertAccepts, assertRejects, withField } from './testing.ts';

const author = generateIdentityKeys();
const manifest = signObject<ToolManifest>(
  {
    name: 'csv_summarize',
    version: '1.2.0-beta.1+build.5',
    description: 'Summarizes a CSV file: row count, columns, numeric ranges.',
    inputSchema: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] },
    outputSchema: { type: 'object', properties: { rows: { type: 'integer' } } },
    permissions: {
      fs: [{ path: '~/data', access: 'read' }],
      net: ['api.example.com:443', '*.example.org', '10.0.0.1:*'],
      memoryMb: 64,
      timeMs: 5000,
      kv: true,
    },
    entry: 'dist/index.js',
    author: author.did,
  } satisfies UnsignedToolManifest,
  author.signing.secretKey,
);

describe('ToolManifest schema', () => {
  test('accepts a signed manifest', () => {
    assertAccepts(ToolManifest, manifest);
    assertAccepts(ToolManifest, withField(manifest, 'permissions.kv', REMOVE));
    assertAccepts(ToolManifest, withField(manifest, 'permissions.net', []));
  });

  const rejections: [string, unknown, string?][] = [
    ['name', 'CsvSummarize'],
    ['name', '1tool'],
    ['name', 'x'.repeat(41)],
    ['version', '1.2'],
    ['version', 'v1.2.3'],
    ['description', ''],
    ['inputSchema', { type: 'array' }, 'inputSchema.type'],
    ['inputSchema', { properties: {} }, 'inputSchema.type'],
    ['outputSchema', { type: 'object', big: 'x'.repeat(17 * 1024) }],
    ['permissions.fs', [{ path: '../etc', access: 'read' }], 'permissions.fs.0.path'],
    ['permissions.fs', [{ path: '/data/../etc', access: 'write' }], 'permissions.fs.0.path'],
    ['permissions.fs', [{ path: '/data', access: 'execute' }], 'permissions.fs.0.access'],
    ['permissions.fs', [{ path: '/da\0ta', access: 'read' }], 'permissions.fs.0.path'],
    ['permissions.net', ['http://example.com'], 'permissions.net.0'],
    ['permissions.net', ['example.com:70000'], 'permissions.net.0'],
    ['permissions.net', ['Example.COM'], 'permissions.net.0'],
    ['permissions.net', ['*'], 'permissions.net.0'],
    ['permissions.memoryMb', 0],
    ['permissions.memoryMb', 4096],
    ['permissions.timeMs', 0],
    ['permissions.timeMs', 1.5],
    ['permissions.kv', 'yes'],
    ['permissions.cpu', 1],
    ['permissions.fs', REMOVE],
    ['entry', '../index.js'],
    ['entry', '/abs/index.js'],
    ['entry', 'dist/../../x.js'],
    ['entry', './index.js'],
    ['entry', 'dist\\index.js'],
    ['author', 'did:web:x'],
    ['signature', REMOVE],
  ];
  for (const [path, value, field] of rejections) {
    test(`rejects ${path} = ${typeof value === 'symbol' ? '(removed)' : JSON.stringify(value)?.slice(0, 40)}`, () =>
      assertRejects(ToolManifest, withField(manifest, path, value), field ?? path));
  }
});
