import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PlexusError } from '../../lib/errors.ts';
import { isMetadataDocumentUrl, MetadataDocuments } from './client-metadata.ts';

const options = { allowAddresses: [], timeoutMs: 2000, maxBytes: 5120, cacheSeconds: 300 } as const;

test('a client_id is a metadata document URL when it is https with a path', () => {
  assert.equal(isMetadataDocumentUrl('https://app.example/oauth/client.json'), true);
  for (const other of [
    'https://app.example/',
    'https://app.example',
    'http://app.example/client.json',
    'https://user@app.example/client.json',
    'https://app.example/client.json#x',
    'desk-app',
  ])
    assert.equal(isMetadataDocumentUrl(other), false, other);
});

test('metadata documents are fetched through the address guard: no loopback, private or metadata addresses', async () => {
  const refused = async (documents: MetadataDocuments, url: string, pattern: RegExp) =>
    assert.rejects(
      documents.get(url),
      (error: unknown) =>
        error instanceof PlexusError &&
        error.code === 'invalid_client_metadata' &&
        pattern.test(error.message),
      url,
    );
  const strict = new MetadataDocuments(options);
  await refused(strict, 'https://127.0.0.1:9/client.json', /127\.0\.0\.1 is a loopback address/);
  await refused(strict, 'https://10.1.2.3/client.json', /10\.1\.2\.3 is a private address/);
  await refused(strict, 'https://[::1]:9/client.json', /::1 is a loopback address/);
  const lenient = new MetadataDocuments({ ...options, allowAddresses: ['link-local', 'private'] });
  await refused(lenient, 'https://169.254.169.254/latest/client.json', /is a metadata address/);
});
