import { createHash } from 'node:crypto';
import { toBase64Url } from '../crypto/bytes.ts';
import { canonicalize } from '../crypto/jcs.ts';
import { didFromEd25519, didKeyFragment, ed25519FromDid } from '../crypto/multikey.ts';
import { verifyObject } from '../crypto/signed-object.ts';
import { PlexusError } from '../errors.ts';
import { AgentCard } from '../../schemas/agent-card.ts';
import { parseOrThrow } from '../../schemas/common.ts';
import {
  OperatorRevocationStatement,
  RevocationStatement,
  RotationStatement,
} from '../../schemas/identity/statements.ts';

/**
 * The identity log: every change to a DID (registration, card update, key rotation, revocation) is a signed
 * statement appended as an entry that commits to the previous entry's hash. Replaying the log from the
 * did:key's own key reproduces the current state, so anyone holding the log can re-verify it.
 */
export const ENTRY_TYPES = ['register', 'update', 'rotate', 'revoke'] as const;
export type EntryType = (typeof ENTRY_TYPES)[number];

export interface LogEntry {
  did: string;
  seq: number;
  type: EntryType;
  statement: Record<string, unknown>;
  prevHash: string | null;
  hash: string;
  recordedAt: number;
}

export interface IdentityState {
  did: string;
  card: AgentCard;
  /** Current Ed25519 signing key, multibase z6Mk… (the did:key's own key until the first rotation). */
  key: string;
  /** Current X25519 key-agreement key, multibase z6LS…. */
  keyAgreement: string;
  revoked: boolean;
  revokedAt: number | null;
  /** Who revoked it: the DID itself or an operator's subject (absent in states saved before it was kept). */
  revokedBy?: string;
  revocationReason?: string;
  nextKeyCommitment: string | null;
  headSeq: number;
  headHash: string;
  createdAt: number;
  updatedAt: number;
}

export function sha256(text: string): string {
  return toBase64Url(createHash('sha256').update(text).digest());
}

export function ed25519Multibase(publicKey: Uint8Array): string {
  return didKeyFragment(didFromEd25519(publicKey));
}

export function ed25519FromMultibase(multibase: string): Uint8Array {
  return ed25519FromDid(`did:key:${multibase}`);
}

/** Pre-rotation commitment: SHA-256 of the next key's multibase text. */
export function keyCommitment(multibase: string): string {
  return sha256(multibase);
}

/** The verification method id of a key in a DID document. */
export function keyId(did: string, multibase: string): string {
  return `${did}#${multibase}`;
}

export function entryHash(entry: Omit<LogEntry, 'hash'>): string {
  const { did, seq, type, statement, prevHash, recordedAt } = entry;
  return sha256(canonicalize({ did, seq, type, statement, prevHash, recordedAt }));
}

function refuse(code: string, message: string, hint?: string): PlexusError {
  return new PlexusError('forbidden', code, message, hint ? { hint } : {});
}

function checkSigned(statement: Record<string, unknown>, key: string, what: string): void {
  if (!verifyObject(statement, ed25519FromMultibase(key))) {
    throw refuse(
      `${what}_signature_invalid`,
      `${what} signature does not verify against the current key of ${String(statement['did'])} (${key})`,
      'sign the JCS form of every other field with the DID’s current key',
    );
  }
}

/** Parses and verifies a card; an unsigned card gets its own code before any schema complaint. */
function checkCard(statement: Record<string, unknown>, did: string, key: string): AgentCard {
  if (statement['signature'] === undefined) {
    throw new PlexusError('invalid', 'card_unsigned', 'card.signature: the card is unsigned', {
      field: 'card.signature',
    });
  }
  const card = parseOrThrow(AgentCard, statement, 'card');
  if (card.did !== did) throw refuse('card_did_mismatch', `card.did ${card.did} is not ${did}`);
  checkSigned(statement, key, 'card');
  return card;
}

function checkPlace(statement: { seq: number; prev: string }, entry: Omit<LogEntry, 'hash'>): void {
  if (statement.seq !== entry.seq || statement.prev !== entry.prevHash) {
    throw new PlexusError(
      'conflict',
      'statement_stale',
      `statement is for log position ${statement.seq} after ${statement.prev}, but the log head is ${entry.seq - 1} (${String(entry.prevHash)})`,
      { hint: 'read the log head with get_identity_log or resolve_did and sign again' },
    );
  }
}

function revokedState(
  state: IdentityState,
  at: number,
  revokedBy: string,
  reason: string | undefined,
): IdentityState {
  return {
    ...state,
    revoked: true,
    revokedAt: at,
    revokedBy,
    ...(reason ? { revocationReason: reason } : {}),
  };
}

/**
 * Applies one entry to the state it follows (null for the first), checking its place in the chain and its
 * signature against the key current at that point. Throws a PlexusError naming what is wrong.
 */
export function applyEntry(
  state: IdentityState | null,
  entry: Omit<LogEntry, 'hash'>,
  hash: string,
): IdentityState {
  const { did, statement, recordedAt } = entry;
  if (state === null) {
    if (entry.type !== 'register' || entry.seq !== 0 || entry.prevHash !== null)
      throw refuse('log_start_invalid', 'an identity log must start with a register entry at position 0');
    const card = checkCard(statement, did, didKeyFragment(did));
    return {
      did,
      card,
      key: didKeyFragment(did),
      keyAgreement: card.keyAgreement,
      revoked: false,
      revokedAt: null,
      nextKeyCommitment: null,
      headSeq: 0,
      headHash: hash,
      createdAt: recordedAt,
      updatedAt: recordedAt,
    };
  }
  if (entry.seq !== state.headSeq + 1 || entry.prevHash !== state.headHash)
    throw refuse('log_chain_broken', `entry ${entry.seq} does not follow entry ${state.headSeq}`);
  if (state.revoked)
    throw new PlexusError(
      'forbidden',
      'identity_revoked',
      `${did} was revoked; nothing more is accepted for it`,
    );
  const next = { ...state, headSeq: entry.seq, headHash: hash, updatedAt: recordedAt };
  switch (entry.type) {
    case 'register':
      throw refuse('already_registered', `${did} is already registered`);
    case 'update': {
      const card = checkCard(statement, did, state.key);
      if (card.version <= state.card.version) {
        throw new PlexusError(
          'conflict',
          'card_not_newer',
          `card version ${card.version} is not newer than the registered version ${state.card.version}`,
          { hint: 'increase card.version and sign again' },
        );
      }
      return { ...next, card, keyAgreement: card.keyAgreement };
    }
    case 'rotate': {
      const rotation = parseOrThrow(RotationStatement, statement, 'statement');
      if (rotation.did !== did) throw refuse('statement_did_mismatch', `statement.did is not ${did}`);
      checkPlace(rotation, entry);
      checkSigned(statement, state.key, 'rotation');
      if (rotation.key === state.key)
        throw refuse('key_unchanged', 'statement.key is already the current key');
      if (state.nextKeyCommitment !== null && keyCommitment(rotation.key) !== state.nextKeyCommitment) {
        throw refuse(
          'commitment_mismatch',
          'statement.key does not match the pre-rotation commitment of the previous rotation',
          'rotate to the key whose hash was committed',
        );
      }
      return {
        ...next,
        key: rotation.key,
        keyAgreement: rotation.keyAgreement ?? state.keyAgreement,
        nextKeyCommitment: rotation.nextKeyCommitment ?? null,
      };
    }
    case 'revoke': {
      // An operator's revocation carries the identity server's word, not the DID's signature (statements.ts).
      if (statement['type'] === 'plexus/operator-revocation') {
        const revocation = parseOrThrow(OperatorRevocationStatement, statement, 'statement');
        if (revocation.did !== did) throw refuse('statement_did_mismatch', `statement.did is not ${did}`);
        return revokedState(next, recordedAt, revocation.revokedBy, revocation.reason);
      }
      const revocation = parseOrThrow(RevocationStatement, statement, 'statement');
      if (revocation.did !== did) throw refuse('statement_did_mismatch', `statement.did is not ${did}`);
      checkPlace(revocation, entry);
      checkSigned(statement, state.key, 'revocation');
      return revokedState(next, recordedAt, did, revocation.reason);
    }
  }
}

export type LogVerification =
  { valid: true; state: IdentityState | null } | { valid: false; brokenAt: number; problem: string };

/** Re-verifies a whole log from scratch: hashes, chain links, signatures, commitments. */
export function verifyIdentityLog(did: string, entries: readonly LogEntry[]): LogVerification {
  let state: IdentityState | null = null;
  for (const [index, entry] of entries.entries()) {
    const problem = (text: string): LogVerification => ({ valid: false, brokenAt: index, problem: text });
    if (entry.did !== did) return problem(`entry ${index} is about ${entry.did}`);
    if (entry.seq !== index) return problem(`entry ${index} has position ${entry.seq}`);
    const expected = entryHash(entry);
    if (entry.hash !== expected) return problem(`entry ${index} hash does not match its content`);
    try {
      state = applyEntry(state, entry, entry.hash);
    } catch (error) {
      return problem(error instanceof Error ? error.message : String(error));
    }
  }
  return { valid: true, state };
}
