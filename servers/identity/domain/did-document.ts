import { DID_CONTEXT, MULTIKEY_CONTEXT, type DidDocument } from '../../../schemas/did-document.ts';
import { keyId, type IdentityState } from '../../../lib/identity/identity-log.ts';

/** The DID document of an identity's current state: its current signing key and key-agreement key. */
export function didDocument(state: IdentityState): DidDocument {
  const signing = keyId(state.did, state.key);
  const agreement = keyId(state.did, state.keyAgreement);
  return {
    '@context': [DID_CONTEXT, MULTIKEY_CONTEXT],
    id: state.did,
    verificationMethod: [
      { id: signing, type: 'Multikey', controller: state.did, publicKeyMultibase: state.key },
      { id: agreement, type: 'Multikey', controller: state.did, publicKeyMultibase: state.keyAgreement },
    ],
    authentication: [signing],
    assertionMethod: [signing],
    keyAgreement: [agreement],
  };
}
