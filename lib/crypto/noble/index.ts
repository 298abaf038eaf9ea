/**
 * The portable reference implementation: the same envelope and seal API as lib/crypto/envelope.ts and
 * seal.ts, on pure-JS @noble primitives. Use it where node:crypto is missing; the tests use it to
 * cross-check the fast path.
 */
import { makeEnvelopeApi } from '../envelope.ts';
import { makeSealer } from '../seal.ts';
import { nobleSuite } from './suite.ts';

export { nobleSuite };

export const { seal, open, sealContent, openContent } = makeSealer(nobleSuite);
export const { signEnvelope, verifyEnvelope, createEnvelope, checkEnvelope, openEnvelope } =
  makeEnvelopeApi(nobleSuite);

export const ed25519PublicKey = nobleSuite.ed25519PublicKey;
export const ed25519Sign = nobleSuite.ed25519Sign;
export const ed25519Verify = nobleSuite.ed25519Verify;
export const x25519PublicKey = nobleSuite.x25519PublicKey;
export const x25519SharedSecret = nobleSuite.x25519;
export const generateX25519 = nobleSuite.x25519Generate;
