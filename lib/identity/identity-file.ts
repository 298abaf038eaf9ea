import { createCipheriv, createDecipheriv, randomBytes, scryptSync } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';
import { AgentCard, type AgentEndpoints, type UnsignedAgentCard } from '../../schemas/agent-card.ts';
import { Did, formatZodError } from '../../schemas/common.ts';
import { fromBase64Url, toBase64Url, utf8 } from '../crypto/bytes.ts';
import { ed25519PublicKey } from '../crypto/ed25519.ts';
import { generateIdentityKeys, type IdentityKeys } from '../crypto/identity-keys.ts';
import {
  didFromEd25519,
  didKeyFragment,
  ed25519FromDid,
  x25519FromMultibase,
  x25519ToMultibase,
} from '../crypto/multikey.ts';
import { Ed25519Multibase } from '../../schemas/identity/statements.ts';
import { signObject, verifyObject } from '../crypto/signed-object.ts';
import { PlexusError } from '../errors.ts';

/**
 * An agent's `identity.json`: its DID, its secret keys (Ed25519 signing, X25519 key agreement) and its signed
 * Agent Card. Created with mode 0600 and never replaced by another identity; with a passphrase the secret
 * keys are sealed with AES-256-GCM under a scrypt-derived key (the DID and card stay readable, the DID is
 * bound as AAD). Version 2 keeps the signing key history: every key the DID ever signed with (the did:key's
 * own first), so a rotation never loses one; a version 1 file is read as a history of one key and written as
 * version 2 at its next rotation.
 */
export const IDENTITY_FILE_FORMAT = 'plexus-identity';

const SCRYPT = { N: 1 << 15, r: 8, p: 1 } as const;
const B64 = z.string().regex(/^[A-Za-z0-9_-]+$/);

/** `signing` signs now; `retired` are the earlier signing keys, oldest first; `pending` awaits the hub. */
const Secrets = z.strictObject({
  signing: B64,
  keyAgreement: B64,
  retired: z.array(B64).max(1000).optional(),
  pending: B64.optional(),
});
type Secrets = z.infer<typeof Secrets>;
/** A signing key (multibase) and since when it signs (ms, as this agent saw the rotation). */
const KeyRecord = z.strictObject({ key: Ed25519Multibase, since: z.int().nonnegative() });
export type KeyRecord = z.infer<typeof KeyRecord>;
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
  version: z.union([z.literal(1), z.literal(2)]),
  did: Did,
  createdAt: z.int().nonnegative(),
  card: z.record(z.string(), z.unknown()),
  /** Version 2: the public signing keys, oldest first; the last one signs now. */
  keys: z.array(KeyRecord).min(1).max(1001).optional(),
  /** Version 2: a key staged for a rotation the hub has not confirmed yet. */
  pendingKey: Ed25519Multibase.optional(),
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
  /** `signing` is the current signing key: the did:key's own until the first rotation. */
  keys: IdentityKeys;
  card: AgentCard;
  encrypted: boolean;
  createdAt: number;
  /** The signing keys, oldest first (the did:key's own first); the last one is `keys.signing`. */
  keyHistory: KeyRecord[];
  /** The secret keys of the retired signing keys, oldest first: kept, never lost. */
  retiredSigning: Uint8Array[];
  /** A key staged for a rotation the hub may not have recorded yet. */
  pendingSigning: Uint8Array | null;
}

/** Whether the identity signs with a rotated key rather than its did:key's own. */
export function isRotated(identity: LoadedIdentity): boolean {
  return identity.keyHistory.length > 1;
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

function seal(secrets: Secrets, did: string, passphrase: string): z.infer<typeof Sealed> {
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

function unseal(sealed: z.infer<typeof Sealed>, did: string, passphrase: string, path: string): Secrets {
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
  const keyHistory = [{ key: didKeyFragment(keys.did), since: now }];
  const file: IdentityFile = {
    format: IDENTITY_FILE_FORMAT,
    version: 2,
    did: keys.did,
    createdAt: now,
    card,
    keys: keyHistory,
    ...secretsField(secrets, keys.did, options.passphrase),
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
  return {
    did: keys.did,
    keys,
    card,
    encrypted: options.passphrase !== undefined,
    createdAt: now,
    keyHistory,
    retiredSigning: [],
    pendingSigning: null,
  };
}

/** The secrets as the file holds them: sealed under `passphrase`, or plain without one. */
function secretsField(
  secrets: Secrets,
  did: string,
  passphrase: string | undefined,
): Pick<IdentityFile, 'secrets' | 'sealed'> {
  return passphrase !== undefined ? { sealed: seal(secrets, did, passphrase) } : { secrets };
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

/** The multibase of a 32-byte Ed25519 secret key's public key. */
function multibaseOf(secretKey: Uint8Array): string {
  return didKeyFragment(didFromEd25519(ed25519PublicKey(secretKey)));
}

function secretKey(text: string, path: string): Uint8Array {
  const bytes = fromBase64Url(text);
  if (bytes.length !== 32)
    throw fileError('identity_file_corrupted', `${path}: secret keys must be 32 bytes`);
  return bytes;
}

/** The public signing key history: version 1 files have one key, the did:key's own. */
function historyOf(file: IdentityFile): KeyRecord[] {
  return file.keys ?? [{ key: didKeyFragment(file.did), since: file.createdAt }];
}

/** The card, checked to be the DID's and signed by the current key of `history`. */
function checkedCard(file: IdentityFile, history: KeyRecord[], path: string): AgentCard {
  const card = AgentCard.safeParse(file.card);
  if (!card.success)
    throw fileError('identity_file_corrupted', `${path}: card: ${formatZodError(card.error)}`);
  const current = history.at(-1)?.key ?? didKeyFragment(file.did);
  if (card.data.did !== file.did || !verifyObject(card.data, ed25519FromDid(`did:key:${current}`)))
    throw fileError(
      'identity_file_corrupted',
      `${path}: the card is not signed by ${file.did}'s current key`,
    );
  return card.data;
}

/** What anyone may read without the passphrase: the DID, the card (checked) and the public key history. */
export function readPublicIdentity(path: string): {
  did: string;
  card: AgentCard;
  encrypted: boolean;
  keyHistory: KeyRecord[];
} {
  const file = readIdentityFile(path);
  const keyHistory = historyOf(file);
  const card = checkedCard(file, keyHistory, path);
  return { did: file.did, card, encrypted: file.sealed !== undefined, keyHistory };
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
  const keyHistory = historyOf(file);
  const retiredSigning = (secrets.retired ?? []).map((text) => secretKey(text, path));
  const signingSecret = secretKey(secrets.signing, path);
  const agreementSecret = secretKey(secrets.keyAgreement, path);
  const pendingSigning = secrets.pending === undefined ? null : secretKey(secrets.pending, path);
  // Every listed key has its secret, in order, and the first is the did:key's own.
  const held = [...retiredSigning, signingSecret].map(multibaseOf);
  if (held.length !== keyHistory.length || held.some((key, i) => key !== keyHistory[i]?.key))
    throw fileError('identity_file_corrupted', `${path}: the secret keys do not match the listed keys`);
  if (held[0] !== didKeyFragment(file.did))
    throw fileError('identity_file_corrupted', `${path}: the signing key does not belong to ${file.did}`);
  if ((pendingSigning === null ? undefined : multibaseOf(pendingSigning)) !== file.pendingKey)
    throw fileError('identity_file_corrupted', `${path}: the staged key does not match its secret`);
  const card = checkedCard(file, keyHistory, path);
  const agreementPublic = x25519FromMultibase(card.keyAgreement);
  const keys: IdentityKeys = {
    did: file.did,
    signing: { secretKey: signingSecret, publicKey: ed25519PublicKey(signingSecret) },
    keyAgreement: { secretKey: agreementSecret, publicKey: agreementPublic },
    keyAgreementMultibase: x25519ToMultibase(agreementPublic),
  };
  return {
    did: file.did,
    keys,
    card,
    encrypted: file.sealed !== undefined,
    createdAt: file.createdAt,
    keyHistory,
    retiredSigning,
    pendingSigning,
  };
}

/** Replaces the file atomically (mode 0600). */
function writeIdentityFile(path: string, file: IdentityFile): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(file, null, 2) + '\n', { mode: 0o600 });
  renameSync(tmp, path);
}

/** The file on disk, checked to hold `identity`'s DID. */
function fileOf(path: string, identity: LoadedIdentity): IdentityFile {
  const file = readIdentityFile(path);
  if (file.did !== identity.did)
    throw fileError('identity_file_corrupted', `${path} holds ${file.did}, not ${identity.did}`);
  return file;
}

/** Writes `identity`'s keys and card (as version 2), sealed again under `passphrase` when encrypted. */
function writeKeys(path: string, identity: LoadedIdentity, passphrase: string | undefined): void {
  const file = fileOf(path, identity);
  if (file.sealed !== undefined && passphrase === undefined)
    throw fileError('passphrase_required', `${path} is encrypted; a passphrase is needed`, 'unauthorized');
  const { secrets: _plain, sealed: _sealed, pendingKey: _staged, ...rest } = file;
  const secrets: Secrets = {
    signing: toBase64Url(identity.keys.signing.secretKey),
    keyAgreement: toBase64Url(identity.keys.keyAgreement.secretKey),
    ...(identity.retiredSigning.length > 0 ? { retired: identity.retiredSigning.map(toBase64Url) } : {}),
    ...(identity.pendingSigning ? { pending: toBase64Url(identity.pendingSigning) } : {}),
  };
  writeIdentityFile(path, {
    ...rest,
    version: 2,
    card: identity.card,
    keys: identity.keyHistory,
    ...(identity.pendingSigning ? { pendingKey: multibaseOf(identity.pendingSigning) } : {}),
    ...secretsField(secrets, identity.did, file.sealed !== undefined ? passphrase : undefined),
  });
}

/**
 * First step of a rotation: a new signing key is kept in the file (staged) before the hub hears of it, so a
 * rotation the hub records can never leave the agent without its key. A key already staged is kept.
 */
export function stageRotation(
  path: string,
  identity: LoadedIdentity,
  passphrase: string | undefined,
): LoadedIdentity {
  if (identity.pendingSigning) return identity;
  const staged = { ...identity, pendingSigning: generateIdentityKeys().signing.secretKey };
  writeKeys(path, staged, passphrase);
  return staged;
}

/**
 * Last step of a rotation the hub recorded: the staged key signs from now on (the card re-signed with it at
 * the next version), the previous one joins the retired keys.
 */
export function completeRotation(
  path: string,
  identity: LoadedIdentity,
  passphrase: string | undefined,
  now: number = Date.now(),
): LoadedIdentity {
  const next = identity.pendingSigning;
  if (!next) throw fileError('rotation_not_staged', `${path} holds no staged key`, 'conflict');
  const { signature: _old, ...fields } = identity.card;
  const rotated: LoadedIdentity = {
    ...identity,
    keys: { ...identity.keys, signing: { secretKey: next, publicKey: ed25519PublicKey(next) } },
    card: buildAgentCard({ ...fields, version: identity.card.version + 1, issuedAt: now }, next),
    keyHistory: [...identity.keyHistory, { key: multibaseOf(next), since: now }],
    retiredSigning: [...identity.retiredSigning, identity.keys.signing.secretKey],
    pendingSigning: null,
  };
  writeKeys(path, rotated, passphrase);
  return rotated;
}

/** The multibase of the key staged for a rotation, or null. */
export function stagedKey(identity: LoadedIdentity): string | null {
  return identity.pendingSigning ? multibaseOf(identity.pendingSigning) : null;
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
  const file = fileOf(path, identity);
  const { signature: _old, ...rest } = identity.card;
  const card = buildAgentCard(
    { ...rest, ...changes, version: identity.card.version + 1, issuedAt: now },
    identity.keys.signing.secretKey,
  );
  writeIdentityFile(path, { ...file, card });
  return card;
}
