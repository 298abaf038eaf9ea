import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ProtocolError, ProtocolErrorCode } from '@modelcontextprotocol/server';
import { generateIdentityKeys } from '../crypto/identity-keys.ts';
import { ANONYMOUS, CALLER_META_KEY, DELEGATE_SCOPE, callerOf, hasScope, requireAgent } from './caller.ts';
import { authInfoFor } from './in-process.ts';

const agent = generateIdentityKeys().did;

describe('callerOf', () => {
  test('no auth info means anonymous', () => {
    assert.deepEqual(callerOf({}), ANONYMOUS);
    assert.deepEqual(
      callerOf({ mcpReq: { _meta: { [CALLER_META_KEY]: { subject: agent, scopes: ['admin'] } } } }),
      ANONYMOUS,
    );
  });

  test('an agent token names the agent and its scopes', () => {
    assert.deepEqual(callerOf({ http: { authInfo: authInfoFor(agent, ['read', 'write']) } }), {
      subject: agent,
      did: agent,
      scopes: ['read', 'write'],
    });
  });

  test('an operator token has no DID', () => {
    const caller = callerOf({ http: { authInfo: authInfoFor('operator:ops', ['admin']) } });
    assert.equal(caller.subject, 'operator:ops');
    assert.equal(caller.did, null);
  });

  test('a delegate names the real caller, whose scopes are narrowed to the delegate’s', () => {
    const caller = callerOf({
      http: { authInfo: authInfoFor('service:hub', [DELEGATE_SCOPE, 'read', 'write']) },
      mcpReq: { _meta: { [CALLER_META_KEY]: { subject: agent, scopes: ['read', 'admin', DELEGATE_SCOPE] } } },
    });
    assert.deepEqual(caller, { subject: agent, did: agent, scopes: ['read'] });
  });

  test('a delegate without a forwarded caller acts as itself', () => {
    const caller = callerOf({ http: { authInfo: authInfoFor('service:hub', [DELEGATE_SCOPE, 'read']) } });
    assert.deepEqual(caller, { subject: 'service:hub', did: null, scopes: [DELEGATE_SCOPE, 'read'] });
  });

  test('forged _meta from a caller without the delegate scope is ignored', () => {
    const caller = callerOf({
      http: { authInfo: authInfoFor(agent, ['read']) },
      mcpReq: { _meta: { [CALLER_META_KEY]: { subject: 'operator:root', scopes: ['admin'] } } },
    });
    assert.deepEqual(caller, { subject: agent, did: agent, scopes: ['read'] });
  });

  test('a malformed forwarded caller is an InvalidParams error', () => {
    const authInfo = authInfoFor('service:hub', [DELEGATE_SCOPE, 'read']);
    for (const forwarded of [
      'did:key:x',
      null,
      { subject: agent },
      { subject: 1, scopes: [] },
      { subject: agent, scopes: [1] },
    ]) {
      assert.throws(
        () => callerOf({ http: { authInfo }, mcpReq: { _meta: { [CALLER_META_KEY]: forwarded } } }),
        (e: unknown) => e instanceof ProtocolError && e.code === (ProtocolErrorCode.InvalidParams as number),
        JSON.stringify(forwarded),
      );
    }
  });
});

describe('hasScope and requireAgent', () => {
  test('admin implies write implies read; nothing implies admin', () => {
    const with_ = (scopes: string[]) => ({ subject: 'x', did: null, scopes });
    assert.equal(hasScope(with_(['admin']), 'read'), true);
    assert.equal(hasScope(with_(['admin']), 'write'), true);
    assert.equal(hasScope(with_(['write']), 'read'), true);
    assert.equal(hasScope(with_(['write']), 'admin'), false);
    assert.equal(hasScope(with_(['read']), 'write'), false);
    assert.equal(hasScope(with_([DELEGATE_SCOPE, 'other']), 'read'), false);
    assert.equal(hasScope(ANONYMOUS, 'read'), false);
  });

  test('requireAgent returns the DID or refuses', () => {
    assert.equal(requireAgent({ subject: agent, did: agent, scopes: [] }), agent);
    assert.throws(
      () => requireAgent({ subject: 'operator:ops', did: null, scopes: ['admin'] }),
      (error: unknown) =>
        error instanceof ProtocolError &&
        /operator:ops has none/.test(error.message) &&
        /OAuth as a hub user/.test(error.message) &&
        /over stdio as the local user/.test(error.message),
    );
    assert.throws(() => requireAgent(ANONYMOUS), ProtocolError);
  });
});
