import { createCipheriv, createDecipheriv, randomBytes, scryptSync } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';
import { AgentCard, type AgentEndpoints, type UnsignedAgentCard } from '../../schemas/agent-card.ts';
import { Did, formatZodError } from '../../schemas/common.ts';
import { fromBase64Url, toBase64Url, utf8 } from '../crypto/bytes.ts';
import { ed25519PublicKey } from '../crypto/ed25519.ts';
import { generateIdentityKeys, type IdentityKeys } from '../crypto/identity-keys.ts';
import { didFromEd25519, x25519FromMultibase, x25519ToMultibase } from '../crypto/multikey.ts';
import { signObject, verifyObject } from '../crypto/signed-object.ts';
import { PlexusError } from '../errors.ts';

/**
 * An agent's `identity.json`: its DID, its secret keys (Ed25519 signing, X25519 key agreement) and its signed
 * Agent Card. Written once with mode 0600 and never overwritten; with a passphrase the secret keys are sealed
 * with AES-256-GCM under a scrypt-derived key (the DID and card stay readable, the DID is bound as AAD).
 */
export const IDENTITY_FILE_FORMAT = 'plexus-identity';

const SCRYPT = { N: 1 << 15, r: 8, p: 1 } as const;
const B64 = z.string().regex(/^[A-Za-z0-9_-]+$/);

const Secrets = z.strictObject({ signing: B64, keyAgreement: B64 });
const Sealed = z.strictObject({
  kdf: z.literal('scrypt'),
  N: z
    .int()
    .min(1024)
    .max(1 << 20),
  r: z.int().min(1).max(32),
  p: z.int().min(1).max(16),
  salt: B64,
  cipher: z.literal('aes-256-gcm'),
  iv: B64,
  tag: B64,
  ciphertext: B64,
});
const IdentityFile = z.strictObject({
  format: z.literal(IDENTITY_FILE_FORMAT),
  version: z.literal(1),
  did: Did,
  createdAt: z.int().nonnegative(),
  card: z.record(z.string(), z.unknown()),
  secrets: Secrets.optional(),
  sealed: Sealed.optional(),
});
type IdentityFile = z.infer<typeof IdentityFile>;

export interface AgentProfile {
  name: string;
  role: string;
  capabilities?: string[];
  endpoints?: AgentEndpoints;
}

export interface LoadedIdentity {
  did: string;
  keys: IdentityKeys;
  card: AgentCard;
  encrypted: boolean;
  createdAt: number;
}

/** Signs an Agent Card (JCS, Ed25519) with `secretKey`, the DID's current signing key. */
export function buildAgentCard(fields: UnsignedAgentCard, secretKey: Uint8Array): AgentCard {
  return signObject<AgentCard>(fields, secretKey);
}

function fileError(
  code: string,
  message: string,
  kind: 'invalid' | 'not_found' | 'conflict' | 'unauthorized' = 'invalid',
): PlexusError {
  return new PlexusError(kind, code, message);
}

function seal(secrets: z.infer<typeof Secrets>, did: string, passphrase: string): z.infer<typeof Sealed> {
  const salt = randomBytes(16);
  const iv = randomBytes(12);
  const key = scryptSync(passphrase, salt, 32, { ...SCRYPT, maxmem: 256 * SCRYPT.N * SCRYPT.r });
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(utf8.encode(did));
  const ciphertext = Buffer.concat([cipher.update(JSON.stringify(secrets), 'utf8'), cipher.final()]);
  return {
    kdf: 'scrypt',
    ...SCRYPT,
    salt: toBase64Url(salt),
    cipher: 'aes-256-gcm',
    iv: toBase64Url(iv),
    tag: toBase64Url(cipher.getAuthTag()),
    ciphertext: toBase64Url(ciphertext),
  };
}

function unseal(
  sealed: z.infer<typeof Sealed>,
  did: string,
  passphrase: string,
  path: string,
): z.infer<typeof Secrets> {
  const { N, r, p } = sealed;
  const key = scryptSync(passphrase, fromBase64Url(sealed.salt), 32, { N, r, p, maxmem: 256 * N * r });
  const decipher = createDecipheriv('aes-256-gcm', key, fromBase64Url(sealed.iv));
  decipher.setAAD(utf8.encode(did));
  decipher.setAuthTag(fromBase64Url(sealed.tag));
  let plain: string;
  try {
    plain = Buffer.concat([decipher.update(fromBase64Url(sealed.ciphertext)), decipher.final()]).toString(
      'utf8',
    );
  } catch {
    // GCM cannot tell a wrong passphrase from a modified file; the passphrase is by far the likelier cause.
    throw fileError(
      'passphrase_wrong',
      `wrong passphrase for ${path} (or its sealed keys were modified)`,
      'unauthorized',
    );
  }
  const parsed = Secrets.safeParse(JSON.parse(plain));
  if (!parsed.success) throw fileError('identity_file_corrupted', `${path}: sealed keys are malformed`);
  return parsed.data;
}

/** Creates a new identity and writes it to `path` (mode 0600). Refuses to overwrite an existing file. */
export function createIdentityFile(
  path: string,
  profile: AgentProfile,
  options: { passphrase?: string; now?: number } = {},
): LoadedIdentity {
  const now = options.now ?? Date.now();
  const keys = generateIdentityKeys();
  const card = buildAgentCard(
    {
      did: keys.did,
      name: profile.name,
      role: profile.role,
      capabilities: profile.capabilities ?? [],
      endpoints: profile.endpoints ?? {},
      keyAgreement: keys.keyAgreementMultibase,
      version: 1,
      issuedAt: now,
    },
    keys.signing.secretKey,
  );
  const checked = AgentCard.safeParse(card);
  if (!checked.success)
    throw new PlexusError('invalid', 'invalid_input', formatZodError(checked.error, 'profile'));
  const secrets = {
    signing: toBase64Url(keys.signing.secretKey),
    keyAgreement: toBase64Url(keys.keyAgreement.secretKey),
  };
  const file: IdentityFile = {
    format: IDENTITY_FILE_FORMAT,
    version: 1,
    did: keys.did,
    createdAt: now,
    card,
    ...(options.passphrase !== undefined
      ? { sealed: seal(secrets, keys.did, options.passphrase) }
      : { secrets }),
  };
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  try {
    writeFileSync(path, JSON.stringify(file, null, 2) + '\n', { flag: 'wx', mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST')
      throw fileError(
        'identity_file_exists',
        `${path} already exists; refusing to overwrite an identity`,
        'conflict',
      );
    throw error;
  }
  return { did: keys.did, keys, card, encrypted: options.passphrase !== undefined, createdAt: now };
}

function readIdentityFile(path: string): IdentityFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT')
      throw fileError('identity_file_missing', `no identity at ${path}; create one first`, 'not_found');
    throw error;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw fileError('identity_file_corrupted', `${path} is not valid JSON`);
  }
  const parsed = IdentityFile.safeParse(json);
  if (!parsed.success) throw fileError('identity_file_corrupted', `${path}: ${formatZodError(parsed.error)}`);
  if (!parsed.data.secrets === !parsed.data.sealed)
    throw fileError('identity_file_corrupted', `${path}: needs exactly one of secrets or sealed`);
  return parsed.data;
}

/** Loads an identity, decrypting it with `passphrase` when sealed; checks the keys and card belong together. */
export function loadIdentityFile(path: string, options: { passphrase?: string } = {}): LoadedIdentity {
  const file = readIdentityFile(path);
  let secrets = file.secrets;
  if (file.sealed) {
    if (options.passphrase === undefined)
      throw fileError('passphrase_required', `${path} is encrypted; a passphrase is needed`, 'unauthorized');
    secrets = unseal(file.sealed, file.did, options.passphrase, path);
  }
  if (!secrets) throw fileError('identity_file_corrupted', `${path} holds no keys`);
  const signingSecret = fromBase64Url(secrets.signing);
  const agreementSecret = fromBase64Url(secrets.keyAgreement);
  if (signingSecret.length !== 32 || agreementSecret.length !== 32)
    throw fileError('identity_file_corrupted', `${path}: secret keys must be 32 bytes`);
  const signingPublic = ed25519PublicKey(signingSecret);
  if (didFromEd25519(signingPublic) !== file.did)
    throw fileError('identity_file_corrupted', `${path}: the signing key does not belong to ${file.did}`);
  const card = AgentCard.safeParse(file.card);
  if (!card.success)
    throw fileError('identity_file_corrupted', `${path}: card: ${formatZodError(card.error)}`);
  if (card.data.did !== file.did || !verifyObject(card.data, signingPublic))
    throw fileError('identity_file_corrupted', `${path}: the card is not signed by ${file.did}`);
  const agreementPublic = x25519FromMultibase(card.data.keyAgreement);
  const keys: IdentityKeys = {
    did: file.did,
    signing: { secretKey: signingSecret, publicKey: signingPublic },
    keyAgreement: { secretKey: agreementSecret, publicKey: agreementPublic },
    keyAgreementMultibase: x25519ToMultibase(agreementPublic),
  };
  return {
    did: file.did,
    keys,
    card: card.data,
    encrypted: file.sealed !== undefined,
    createdAt: file.createdAt,
  };
}

/**
 * Re-signs the card with changed fields and the next version, and stores it (atomically, mode 0600).
 * Returns the new card, ready for register_identity.
 */
export function updateAgentCard(
  path: string,
  identity: LoadedIdentity,
  changes: Partial<AgentProfile>,
  now: number = Date.now(),
): AgentCard {
  const file = readIdentityFile(path);
  if (file.did !== identity.did)
    throw fileError('identity_file_corrupted', `${path} holds ${file.did}, not ${identity.did}`);
  const { signature: _old, ...rest } = identity.card;
  const card = buildAgentCard(
    { ...rest, ...changes, version: identity.card.version + 1, issuedAt: now },
    identity.keys.signing.secretKey,
  );
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify({ ...file, card }, null, 2) + '\n', { mode: 0o600 });
  renameSync(tmp, path);
  return card;
}
