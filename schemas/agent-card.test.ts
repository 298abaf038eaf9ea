import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { generateIdentityKeys } from '../lib/crypto/identity-keys.ts';
import { signObject, verifyObjectByDid } from '../lib/crypto/signed-object.ts';
import { AgentCard, MAX_CAPABILITIES, type UnsignedAgentCard } from './agent-card.ts';
import { REMOVE, assertAccepts, assertRejects, withField } from './testing.ts';

const keys = generateIdentityKeys();
const card = signObject<AgentCard>(
  {
    did: keys.did,
    name: 'Research Bot',
    role: 'researcher',
    capabilities: ['summarize', 'web.search', 'translate/de'],
    endpoints: { hub: 'http://127.0.0.1:7700/mcp', mcp: 'https://agent.example.com/mcp' },
    keyAgreement: keys.keyAgreementMultibase,
    version: 1,
    issuedAt: 1_760_000_000_000,
  } satisfies UnsignedAgentCard,
  keys.signing.secretKey,
);

describe('AgentCard schema', () => {
  test('accepts a signed card; parsing keeps it verifiable', () => {
    const parsed = assertAccepts(AgentCard, card);
    assert.equal(verifyObjectByDid(parsed, keys.did), true);
    assertAccepts(AgentCard, { ...card, endpoints: {} });
  });

  const rejections: [string, unknown][] = [
    ['did', 'did:example:123'],
    ['name', ''],
    ['name', ' padded'],
    ['name', 'x'.repeat(65)],
    ['role', REMOVE],
    ['capabilities', 'summarize'],
    ['capabilities', ['Summarize']],
    ['capabilities', Array.from({ length: MAX_CAPABILITIES + 1 }, (_, i) => `c${i}`)],
    ['endpoints.hub', 'ftp://example.com'],
    ['endpoints.mcp', 'not a url'],
    ['endpoints.p2p', 'http://x'],
    ['keyAgreement', keys.did],
    ['version', 0],
    ['version', 1.5],
    ['issuedAt', -1],
    ['signature', 'short'],
    ['extra', 1],
  ];
  for (const [path, value] of rejections) {
    const expected =
      path === 'capabilities' && Array.isArray(value) && value.length === 1 ? 'capabilities.0' : path;
    test(`rejects ${path}`, () => assertRejects(AgentCard, withField(card, path, value), expected));
  }

  test('rejects duplicate capabilities, naming the duplicate', () => {
    assertRejects(AgentCard, { ...card, capabilities: ['a', 'b', 'a'] }, 'capabilities.2', /duplicate/);
  });
});
