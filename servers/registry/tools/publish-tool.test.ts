import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createHash } from 'node:crypto';
import { generateIdentityKeys, type IdentityKeys } from '../../../lib/crypto/identity-keys.ts';
import { signObject } from '../../../lib/crypto/signed-object.ts';
import type { ToolManifest } from '../../../schemas/tool-manifest.ts';
import type { McpServerListing } from '../../../schemas/registry/tool-listing.ts';
import type { ToolView } from '../../../schemas/registry/tools.ts';
import { call, callError, callInvalid, startRegistry } from '../testing.ts';

const CODE = 'export default async (input) => ({ pages: 1 });\n';
const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

function manifest(author: IdentityKeys, fields: Partial<ToolManifest> = {}): ToolManifest {
  return signObject<ToolManifest>(
    {
      name: 'pdf-extract',
      version: '1.0.0',
      description: 'Extracts text from PDF documents',
      inputSchema: { type: 'object', properties: { path: { type: 'string' } } },
      outputSchema: { type: 'object' },
      permissions: { fs: [{ path: '~/docs', access: 'read' }], net: [], memoryMb: 64, timeMs: 5000 },
      entry: 'index.js',
      entrySha256: sha256(CODE),
      author: author.did,
      ...fields,
    },
    author.signing.secretKey,
  );
}

function listing(
  author: IdentityKeys,
  fields: Partial<McpServerListing> = {},
  drop: keyof McpServerListing | null = null,
): McpServerListing {
  const body: Record<string, unknown> = {
    name: 'web-search',
    version: '0.3.0',
    description: 'Searches the web and fetches pages',
    transport: 'streamable-http',
    url: 'https://tools.example.org/mcp',
    author: author.did,
    ...fields,
  };
  if (drop) delete body[drop];
  return signObject<McpServerListing>(body as Omit<McpServerListing, 'signature'>, author.signing.secretKey);
}

type Published = { tool: ToolView; created: boolean };

describe('publish_tool, find_tools, get_tool, withdraw_tool', () => {
  it('publishes signed manifests and listings, finds them by text and capability', async (t) => {
    const h = await startRegistry(t);
    const author = generateIdentityKeys();
    const client = await h.connect(author.did);
    const pdfManifest = manifest(author);
    const pdf = await call<Published>(client, 'publish_tool', {
      manifest: pdfManifest,
      code: CODE,
      capabilities: ['documents'],
    });
    assert.equal(pdf.created, true);
    assert.equal(pdf.tool.kind, 'manifest');
    assert.equal(pdf.tool.author, author.did);
    const web = await call<Published>(client, 'publish_tool', {
      listing: listing(author),
      capabilities: ['web'],
    });
    assert.equal(web.tool.kind, 'mcp_server');
    await call(client, 'publish_tool', {
      listing: listing(
        author,
        {
          name: 'files',
          description: 'Local files over stdio',
          transport: 'stdio',
          package: '@modelcontextprotocol/server-filesystem@1.0.0',
        },
        'url',
      ),
    });

    const find = async (args: Record<string, unknown>): Promise<string[]> =>
      (await call<{ tools: ToolView[] }>(client, 'find_tools', args)).tools.map((x) => x.name);
    assert.deepEqual(await find({ query: 'pdf' }), ['pdf-extract']);
    assert.deepEqual(await find({ query: 'search pages' }), ['web-search']);
    assert.deepEqual(await find({ query: 'fetch' }), ['web-search'], 'prefix match');
    assert.deepEqual(await find({ capability: 'documents' }), ['pdf-extract']);
    assert.deepEqual(await find({ kind: 'mcp_server' }), ['files', 'web-search']);
    assert.deepEqual(await find({ query: 'pdf', kind: 'mcp_server' }), []);
    const page = await call<{ tools: ToolView[]; total: number; next_offset: number | null }>(
      client,
      'find_tools',
      { limit: 2 },
    );
    assert.equal(page.total, 3);
    assert.equal(page.next_offset, 2);

    const got = await call<{ tool: ToolView }>(client, 'get_tool', { id: pdf.tool.id });
    assert.deepEqual(got.tool.entry, pdfManifest, 'the signed manifest exactly as published');

    const hub = await h.asHub('router');
    const { events } = await call<{ events: { type: string }[] }>(hub, 'fetch_events', {
      types: ['tool.published'],
    });
    assert.equal(events.length, 3);
  });

  it('refuses unsigned, mis-signed and other authors’ entries', async (t) => {
    const h = await startRegistry(t, { router: false });
    const author = generateIdentityKeys();
    const mallory = generateIdentityKeys();
    const client = await h.connect(mallory.did);
    const { signature: _s, ...unsigned } = manifest(mallory);
    await callInvalid(client, 'publish_tool', { manifest: unsigned }, 'manifest.signature');
    const tampered = { ...manifest(mallory), description: 'Now steals files' };
    assert.equal(
      await callError(client, 'publish_tool', { manifest: tampered, code: CODE }),
      'signature_invalid',
    );
    const signedByOther = signObject({ ...listing(mallory), signature: undefined }, author.signing.secretKey);
    assert.equal(await callError(client, 'publish_tool', { listing: signedByOther }), 'signature_invalid');
    assert.equal(
      await callError(client, 'publish_tool', { manifest: manifest(author), code: CODE }),
      'author_not_caller',
      "a genuine manifest by someone else can't be republished by mallory",
    );
    await callInvalid(client, 'publish_tool', { listing: listing(mallory, {}, 'url') }, 'listing.url');
    await callInvalid(
      client,
      'publish_tool',
      { manifest: manifest(mallory), listing: listing(mallory), code: CODE },
      'manifest',
    );
    assert.equal((await call<{ total: number }>(client, 'find_tools', {})).total, 0, 'nothing stored');
  });

  it('only the author updates or withdraws an entry', async (t) => {
    const h = await startRegistry(t, { router: false });
    const author = generateIdentityKeys();
    const other = generateIdentityKeys();
    const mine = await h.connect(author.did);
    const theirs = await h.connect(other.did);
    const first = await call<Published>(mine, 'publish_tool', { manifest: manifest(author), code: CODE });
    const same = await call<Published>(theirs, 'publish_tool', { manifest: manifest(other), code: CODE });
    assert.notEqual(same.tool.id, first.tool.id, 'the same name by another author is another entry');

    const updated = await call<Published>(mine, 'publish_tool', {
      manifest: manifest(author, { version: '1.1.0', description: 'Extracts text and tables from PDFs' }),
      code: CODE,
    });
    assert.equal(updated.created, false);
    assert.equal(updated.tool.id, first.tool.id);
    assert.equal(updated.tool.version, '1.1.0');

    assert.equal(await callError(theirs, 'withdraw_tool', { id: first.tool.id }), 'not_author');
    const withdrawn = await call<{ withdrawn: ToolView }>(mine, 'withdraw_tool', { id: first.tool.id });
    assert.equal(withdrawn.withdrawn.id, first.tool.id);
    assert.equal(await callError(mine, 'get_tool', { id: first.tool.id }), 'tool_not_found');
    assert.deepEqual(
      (await call<{ tools: ToolView[] }>(mine, 'find_tools', { query: 'pdf' })).tools.map((x) => x.author),
      [other.did],
    );
  });

  it('stores the code under its signed hash, within the size cap, and serves it to install', async (t) => {
    const h = await startRegistry(t, { router: false, settings: { maxPackageBytes: 2048 } });
    const author = generateIdentityKeys();
    const client = await h.connect(author.did);
    await callInvalid(client, 'publish_tool', { manifest: manifest(author) }, 'code');
    assert.equal(
      await callError(client, 'publish_tool', { manifest: manifest(author), code: `${CODE}// changed\n` }),
      'package_hash_mismatch',
    );
    const big = `// ${'x'.repeat(4096)}\n`;
    assert.equal(
      await callError(client, 'publish_tool', {
        manifest: manifest(author, { entrySha256: sha256(big) }),
        code: big,
      }),
      'package_too_large',
    );
    await callInvalid(client, 'publish_tool', { listing: listing(author), code: CODE }, 'code');

    const { tool } = await call<Published>(client, 'publish_tool', {
      manifest: manifest(author),
      code: CODE,
    });
    assert.equal(tool.package_sha256, sha256(CODE));
    assert.equal(tool.package_bytes, Buffer.byteLength(CODE));
    const got = await call<{ tool: ToolView; code: string }>(client, 'get_tool_package', { id: tool.id });
    assert.equal(got.code, CODE);
    const named = await call<{ tools: ToolView[] }>(client, 'find_tools', { name: 'pdf-extract' });
    assert.deepEqual(
      named.tools.map((x) => x.id),
      [tool.id],
    );
    assert.equal((await call<{ total: number }>(client, 'find_tools', { name: 'pdf' })).total, 0);

    const web = await call<Published>(client, 'publish_tool', { listing: listing(author) });
    assert.equal(await callError(client, 'get_tool_package', { id: web.tool.id }), 'package_not_found');
    await call(client, 'withdraw_tool', { id: tool.id });
    assert.equal(await callError(client, 'get_tool_package', { id: tool.id }), 'tool_not_found');
  });
});
