import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { ed25519PublicKey, ed25519Sign, ed25519Verify } from './ed25519.ts';
import type { CryptoSuite } from './suite.ts';
import { generateX25519KeyPair, x25519PublicKey, x25519SharedSecret } from './x25519.ts';

/** The fast path: everything on node:crypto (OpenSSL). */
export const nodeSuite: CryptoSuite = {
  name: 'node:crypto',
  ed25519PublicKey,
  ed25519Sign,
  ed25519Verify,
  x25519Generate: generateX25519KeyPair,
  x25519PublicKey,
  x25519: x25519SharedSecret,
  hkdfSha256: (ikm, salt, info, length) => new Uint8Array(hkdfSync('sha256', ikm, salt, info, length)),
  aesGcmEncrypt(key, iv, plaintext, aad) {
    const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: 16 });
    cipher.setAAD(aad);
    const ct = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return { ct: new Uint8Array(ct), tag: new Uint8Array(cipher.getAuthTag()) };
  },
  aesGcmDecrypt(key, iv, ct, tag, aad) {
    if (tag.length !== 16) throw new Error('GCM tag must be 16 bytes');
    const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: 16 });
    decipher.setAAD(aad);
    decipher.setAuthTag(tag);
    return new Uint8Array(Buffer.concat([decipher.update(ct), decipher.final()]));
  },
  randomBytes: (length) => new Uint8Array(randomBytes(length)),
};
