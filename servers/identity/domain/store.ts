import type { IdentityState, LogEntry } from '../../../lib/identity/identity-log.ts';

/** The authority's own signing key for access tokens. */
export interface AuthorityKey {
  kid: string;
  secretKey: Uint8Array;
  publicKey: Uint8Array;
  createdAt: number;
}

export const EVIDENCE_SOURCES = ['attestation', 'task', 'uptime'] as const;
export type EvidenceSource = (typeof EVIDENCE_SOURCES)[number];

/** One piece of trust evidence: a signed attestation, or an outcome reported by the registry. */
export interface Evidence {
  /** The attesting DID, or AUTHORITY for reported outcomes. */
  attester: string;
  subject: string;
  source: EvidenceSource;
  positive: boolean;
  weight: number;
  reference: string;
  recordedAt: number;
}

/** Evidence as recorded: with the signed attestation kept for audit (null for reported outcomes). */
export interface EvidenceRecord extends Evidence {
  statement: Record<string, unknown> | null;
}

export interface Challenge {
  nonce: string;
  /** The DID the challenge is for, when the issuer named one. */
  did: string | null;
  expiresAt: number;
}

/**
 * Everything the identity authority persists. Methods are async so SQLite and PostgreSQL share one contract
 * (store.contract.ts). Writes that must not race (log appends, jti and nonce use) are atomic in the store.
 */
export interface IdentityStore {
  getIdentity(did: string): Promise<IdentityState | null>;
  /**
   * Appends `entry` and saves `state` (the state after it) atomically. Throws StoreConflictError when another
   * entry already took that position.
   */
  appendEntry(entry: LogEntry, state: IdentityState): Promise<void>;
  getLog(did: string): Promise<LogEntry[]>;
  /** Which of `dids` are revoked. */
  revokedAmong(dids: readonly string[]): Promise<Set<string>>;

  /** Records a use of `key` until `expiresAt`; false when it is already recorded and not expired. */
  useOnce(key: string, expiresAt: number, now: number): Promise<boolean>;

  saveChallenge(challenge: Challenge): Promise<void>;
  getChallenge(nonce: string): Promise<Challenge | null>;
  /** Deletes the challenge; true only for the one caller that deleted it. */
  consumeChallenge(nonce: string): Promise<boolean>;

  /** The authority key, creating it from `candidate` when there is none yet (first writer wins). */
  authorityKey(candidate: AuthorityKey): Promise<AuthorityKey>;

  /** False when the same (attester, subject, source, reference) is already recorded. */
  addEvidence(evidence: EvidenceRecord): Promise<boolean>;
  /** Evidence about any of `subjects`, optionally only from `attesters` (without the statements). */
  evidenceAbout(subjects: readonly string[], attesters?: readonly string[]): Promise<Evidence[]>;

  /** Drops expired nonces and one-time-use records. */
  purgeExpired(now: number): Promise<void>;
  close(): Promise<void>;
}

export class StoreConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StoreConflictError';
  }
}
