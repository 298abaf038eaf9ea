import { describe, test } from 'node:test';
import { generateIdentityKeys } from '../lib/crypto/identity-keys.ts';
import { didKeyFragment } from '../lib/crypto/multikey.ts';
import { DID_CONTEXT, DidDocument, MULTIKEY_CONTEXT } from './did-document.ts';
import { REMOVE, assertAccepts, assertRejects, withField } from './testing.ts';

const keys = generateIdentityKeys();
const signingId = `${keys.did}#${didKeyFragment(keys.did)}`;
const agreementId = `${keys.did}#${keys.keyAgreementMultibase}`;
const doc = {
  '@context': [DID_CONTEXT, MULTIKEY_CONTEXT],
  id: keys.did,
  verificationMethod: [
    { id: signingId, type: 'Multikey', controller: keys.did, publicKeyMultibase: didKeyFragment(keys.did) },
    {
      id: agreementId,
      type: 'Multikey',
      controller: keys.did,
      publicKeyMultibase: keys.keyAgreementMultibase,
    },
  ],
  authentication: [signingId],
  assertionMethod: [signingId],
  keyAgreement: [agreementId],
};

describe('DidDocument schema', () => {
  test('accepts a did:key document with a separate key-agreement key', () => {
    assertAccepts(DidDocument, doc);
    assertAccepts(DidDocument, withField(doc, 'assertionMethod', REMOVE));
    assertAccepts(DidDocument, withField(doc, '@context', REMOVE));
  });

  test('rejects each kind of bad field, naming it', () => {
    assertRejects(DidDocument, withField(doc, 'id', 'did:web:x'), 'id');
    assertRejects(DidDocument, withField(doc, 'verificationMethod', []), 'verificationMethod');
    assertRejects(DidDocument, withField(doc, 'authentication', []), 'authentication');
    assertRejects(DidDocument, withField(doc, 'keyAgreement', REMOVE), 'keyAgreement');
    assertRejects(DidDocument, withField(doc, 'authentication', ['not a did url']), 'authentication.0');
    assertRejects(
      DidDocument,
      withField(doc, 'keyAgreement', [`${keys.did}#missing`]),
      'keyAgreement.0',
      /not in verificationMethod/,
    );
    assertRejects(DidDocument, withField(doc, '@context', 5), '@context');
    const vm = structuredClone(doc.verificationMethod);
    vm[1]!.type = 'JsonWebKey2020';
    assertRejects(DidDocument, { ...doc, verificationMethod: vm }, 'verificationMethod.1.type');
    const vm2 = structuredClone(doc.verificationMethod);
    vm2[0]!.publicKeyMultibase = 'uABC';
    assertRejects(
      DidDocument,
      { ...doc, verificationMethod: vm2 },
      'verificationMethod.0.publicKeyMultibase',
    );
    const vm3 = structuredClone(doc.verificationMethod);
    vm3[0]!.controller = 'did:web:x';
    assertRejects(DidDocument, { ...doc, verificationMethod: vm3 }, 'verificationMethod.0.controller');
  });

  test('rejects a verification method belonging to another DID', () => {
    const other = generateIdentityKeys();
    const foreign = `${other.did}#${didKeyFragment(other.did)}`;
    const vm = structuredClone(doc.verificationMethod);
    vm[0]!.id = foreign;
    assertRejects(
      DidDocument,
      { ...doc, verificationMethod: vm, authentication: [foreign], assertionMethod: [foreign] },
      'verificationMethod.0.id',
    );
  });
});
