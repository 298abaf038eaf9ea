import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { fromBase64Url, toBase64Url, utf8 } from '../crypto/bytes.ts';
import { ed25519PublicKey } from '../crypto/ed25519.ts';
import type { IdentityKeys } from '../crypto/identity-keys.ts';
import { didFromEd25519, x25519ToMultibase } from '../crypto/multikey.ts';
import { x25519PublicKey } from '../crypto/x25519.ts';
import { PlexusError } from '../errors.ts';

/**
 * The secret keys of identities kept on people's behalf (hub users, the local user of stdio servers), sealed
 * with AES-256-GCM under one random 32-byte key in the data dir (`identity-vault.key`, mode 0600), the DID
 * bound as additional data so a sealed blob cannot be moved to another identity. Hub replicas sharing a user
 * store need the same key file.
 */
export const VAULT_KEY_FILE = 'identity-vault.key';

const B64 = z.string().regex(/^[A-Za-z0-9_-]+$/);
export const SealedKeys = z.strictObject({
  cipher: z.literal('aes-256-gcm'),
  iv: B64,
  tag: B64,
  ciphertext: B64,
});
export type SealedKeys = z.infer<typeof SealedKeys>;

const Secrets = z.strictObject({ signing: B64, keyAgreement: B64 });

function vaultError(code: string, message: string): PlexusError {
  return new PlexusError('invalid', code, message);
}

/** Reads the vault key, creating it (0600, first writer wins) when absent. */
function vaultKey(dataDir: string): Buffer {
  const file = join(dataDir, VAULT_KEY_FILE);
  mkdirSync(dataDir, { recursive: true });
  try {
    writeFileSync(file, randomBytes(32).toString('base64url') + '\n', { flag: 'wx', mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  chmodSync(file, 0o600);
  const key = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64url');
  if (key.length !== 32) throw vaultError('vault_key_corrupted', `${file} must hold 32 bytes (base64url)`);
  return key;
}

export class KeyVault {
  readonly #key: Buffer;

  private constructor(key: Buffer) {
    this.#key = key;
  }

  static open(dataDir: string): KeyVault {
    return new KeyVault(vaultKey(dataDir));
  }

  seal(keys: IdentityKeys): SealedKeys {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    cipher.setAAD(utf8.encode(keys.did));
    const plain = JSON.stringify({
      signing: toBase64Url(keys.signing.secretKey),
      keyAgreement: toBase64Url(keys.keyAgreement.secretKey),
    });
    const ciphertext = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return {
      cipher: 'aes-256-gcm',
      iv: toBase64Url(iv),
      tag: toBase64Url(cipher.getAuthTag()),
      ciphertext: toBase64Url(ciphertext),
    };
  }

  /** The keys sealed for `did`; throws when the blob was sealed for another DID, another key or modified. */
  open(did: string, sealed: SealedKeys): IdentityKeys {
    const decipher = createDecipheriv('aes-256-gcm', this.#key, fromBase64Url(sealed.iv));
    decipher.setAAD(utf8.encode(did));
    decipher.setAuthTag(fromBase64Url(sealed.tag));
    let secrets: z.infer<typeof Secrets>;
    try {
      const plain = Buffer.concat([decipher.update(fromBase64Url(sealed.ciphertext)), decipher.final()]);
      secrets = Secrets.parse(JSON.parse(plain.toString('utf8')));
    } catch {
      throw vaultError(
        'sealed_keys_unreadable',
        `the keys of ${did} do not open with this data dir's ${VAULT_KEY_FILE}`,
      );
    }
    const signingSecret = fromBase64Url(secrets.signing);
    const agreementSecret = fromBase64Url(secrets.keyAgreement);
    const signingPublic = ed25519PublicKey(signingSecret);
    if (didFromEd25519(signingPublic) !== did)
      throw vaultError('sealed_keys_unreadable', `the sealed signing key does not belong to ${did}`);
    const agreementPublic = x25519PublicKey(agreementSecret);
    return {
      did,
      signing: { secretKey: signingSecret, publicKey: signingPublic },
      keyAgreement: { secretKey: agreementSecret, publicKey: agreementPublic },
      keyAgreementMultibase: x25519ToMultibase(agreementPublic),
    };
  }

  /** A key for another purpose (e.g. signing CSRF tokens), independent of the sealing key (HKDF-SHA256). */
  derive(purpose: string): Buffer {
    return Buffer.from(hkdfSync('sha256', this.#key, Buffer.alloc(0), `plexus-vault|${purpose}`, 32));
  }
}
