import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HubResources } from './resources.ts';

test('resources: /mcp and /mcp/<mounted server>, found case-insensitively in scheme and host only', () => {
  const resources = new HubResources('https://Hub.example:8443', (name) => name === 'memory');
  assert.equal(resources.of(null), 'https://Hub.example:8443/mcp');
  assert.equal(resources.of('memory'), 'https://Hub.example:8443/mcp/memory');
  assert.equal(
    resources.metadataUrl('memory'),
    'https://Hub.example:8443/.well-known/oauth-protected-resource/mcp/memory',
  );
  for (const [asked, found] of [
    ['https://hub.example:8443/mcp', 'https://Hub.example:8443/mcp'],
    ['HTTPS://HUB.EXAMPLE:8443/mcp/', 'https://Hub.example:8443/mcp'],
    ['https://hub.example:8443/mcp/memory', 'https://Hub.example:8443/mcp/memory'],
  ] as const)
    assert.equal(resources.find(asked), found, asked);
  for (const other of [
    'https://hub.example:8443/mcp/router',
    'https://hub.example:8443/MCP',
    'https://hub.example/mcp',
    'https://other.example:8443/mcp',
    'https://hub.example:8443/mcp#x',
    'https://hub.example:8443/mcp/memory/extra',
    'https://hub.example:8443/',
    'hub.example/mcp',
  ])
    assert.equal(resources.find(other), null, other);
});
