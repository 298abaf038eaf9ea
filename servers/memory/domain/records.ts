import { createHash, randomBytes } from 'node:crypto';
import { canonicalize } from '../../../lib/crypto/jcs.ts';
import { signObject, verifyObject } from '../../../lib/crypto/signed-object.ts';
import type { SigningKeys } from '../../../lib/identity/signing-keys.ts';
import type { MemoryRecord, RecordKind, RecordOf } from '../../../schemas/memory/record.ts';
import type { Scope } from '../../../schemas/memory.ts';

/** A record before its nonce, id and signature are set. */
export type Unsealed<R extends MemoryRecord = MemoryRecord> = R extends MemoryRecord
  ? Omit<R, 'id' | 'nonce' | 'signature'>
  : never;

/** Signs records as their author: the agent host's local memory has one; the federation server has none. */
export interface RecordSigner {
  did: string;
  secretKey: Uint8Array;
}

/** The content id: base64url SHA-256 of the JCS form of everything but `id` and `signature`. */
export function contentId(record: Record<string, unknown>): string {
  const { id: _id, signature: _sig, ...rest } = record;
  return createHash('sha256').update(canonicalize(rest)).digest('base64url');
}

/** Gives a record a nonce, its content id and, when the signer is its author, a signature. */
export function seal<R extends MemoryRecord>(draft: Unsealed<R>, signer?: RecordSigner): R {
  const unique = { ...draft, nonce: randomBytes(16).toString('base64url') };
  const withId = { ...unique, id: contentId(unique) } as unknown as R;
  if (signer && signer.did === draft.author) {
    return signObject<R>(withId, signer.secretKey);
  }
  return withId;
}

export type RecordProblem = 'id_mismatch' | 'signature_missing' | 'signature_invalid';

/** Where authors' signing keys come from: their identity log, or the did:key alone with no identity server. */
export type RecordKeys = Pick<SigningKeys, 'signedBy'>;

/**
 * Why a record cannot be trusted as its author's, or null when it can. The signature must be by the key the
 * author signed with when it recorded it (`recordedAt`, the author's own claim): its current key, or a
 * retired one for a record made before that key's rotation was recorded.
 */
export async function checkRecord(
  record: MemoryRecord,
  requireSignature: boolean,
  keys: RecordKeys,
): Promise<RecordProblem | null> {
  if (contentId(record) !== record.id) return 'id_mismatch';
  if (record.signature === undefined) return requireSignature ? 'signature_missing' : null;
  const signed = await keys.signedBy(record.author, record.recordedAt, (key) => verifyObject(record, key));
  return signed ? null : 'signature_invalid';
}

/** Scopes as one string column: `private`, `public` or `group:<name>`. */
export function scopeKey(scope: Scope): string {
  return scope.kind === 'group' ? `group:${scope.group}` : scope.kind;
}

export function scopeFromKey(key: string): Scope {
  if (key === 'private' || key === 'public') return { kind: key };
  if (key.startsWith('group:')) return { kind: 'group', group: key.slice('group:'.length) };
  throw new Error(`bad stored scope '${key}'`);
}

export function sameScope(a: Scope, b: Scope): boolean {
  return scopeKey(a) === scopeKey(b);
}

/** The text a record contributes to full-text search, if any. */
export function searchText(record: MemoryRecord): string | null {
  if (record.kind === 'note') return record.body.text;
  if (record.kind === 'episode') return record.body.content;
  return null;
}

export function isKind<K extends RecordKind>(record: MemoryRecord, kind: K): record is RecordOf<K> {
  return record.kind === kind;
}
