import { generateEd25519, type Ed25519KeyPair } from './ed25519.ts';
import { didFromEd25519, x25519ToMultibase } from './multikey.ts';
import { generateX25519KeyPair } from './x25519.ts';

export interface X25519KeyPair {
  secretKey: Uint8Array;
  publicKey: Uint8Array;
}

/** An agent's keys: Ed25519 for signing (its did:key) and an independent X25519 key for key agreement. */
export interface IdentityKeys {
  did: string;
  signing: Ed25519KeyPair;
  keyAgreement: X25519KeyPair;
  /** multibase `z6LS…` of keyAgreement.publicKey, as published in the Agent Card. */
  keyAgreementMultibase: string;
}

export function generateX25519(): X25519KeyPair {
  return generateX25519KeyPair();
}

export function generateIdentityKeys(): IdentityKeys {
  const signing = generateEd25519();
  const keyAgreement = generateX25519();
  return {
    did: didFromEd25519(signing.publicKey),
    signing,
    keyAgreement,
    keyAgreementMultibase: x25519ToMultibase(keyAgreement.publicKey),
  };
}
