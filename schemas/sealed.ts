import { z } from 'zod';
import { Base64Url, base64UrlBytes } from './common.ts';

export const SEAL_ALG = 'X25519-HKDF-SHA256-A256GCM';

/**
 * An envelope's encrypted content: an ephemeral X25519 public key, a 96-bit GCM nonce, the ciphertext and
 * the 128-bit tag. The key is HKDF-derived from the ephemeral and the recipient's key-agreement key with
 * the envelope header (sender, recipient, id) bound in; see lib/crypto/seal.ts.
 */
export const SealedPayload = z.strictObject({
  alg: z.literal(SEAL_ALG),
  epk: base64UrlBytes(32),
  iv: base64UrlBytes(12),
  ct: Base64Url.max(64 * 1024),
  tag: base64UrlBytes(16),
});
export type SealedPayload = z.infer<typeof SealedPayload>;
