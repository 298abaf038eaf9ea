import { fromBase64Url } from '../../../lib/crypto/bytes.ts';
import { ed25519Verify } from '../../../lib/crypto/ed25519.ts';
import { didKeyFragment } from '../../../lib/crypto/multikey.ts';
import { PlexusError, invalid } from '../../../lib/errors.ts';
import { revocationText } from '../../../lib/identity/revocation.ts';
import { Did, parseOrThrow } from '../../../schemas/common.ts';
import type { IdentitySettings } from '../../../schemas/identity/settings.ts';
import type { PublishEvent } from './events.ts';
import {
  applyEntry,
  ed25519FromMultibase,
  entryHash,
  keyId,
  verifyIdentityLog,
  type EntryType,
  type IdentityState,
  type LogEntry,
  type LogVerification,
} from '../../../lib/identity/identity-log.ts';
import { StoreConflictError, type IdentityStore } from './store.ts';

export interface IdentityDeps {
  store: IdentityStore;
  now: () => number;
  settings: IdentitySettings;
  publish: PublishEvent;
}

export interface CurrentKey {
  did: string;
  /** Multibase Ed25519 key. */
  key: string;
  keyId: string;
  registered: boolean;
  revoked: boolean;
}

export type VerifyResult = 'valid' | 'signature_mismatch' | 'revoked' | 'malformed';

function didOf(statement: Record<string, unknown>, field: string): string {
  return parseOrThrow(Did, statement['did'], `${field}.did`);
}

/** Registration, rotation, revocation and verification against the identity log. */
export class IdentityService {
  readonly #deps: IdentityDeps;

  constructor(deps: IdentityDeps) {
    this.#deps = deps;
  }

  /** Refuses timestamps further in the future than the allowed clock skew. */
  checkNotFuture(value: unknown, field: string): void {
    const { now, settings } = this.#deps;
    if (typeof value === 'number' && value > now() + settings.clockSkewSeconds * 1000)
      throw invalid(field, 'is in the future', 'timestamp_in_future');
  }

  async #append(
    did: string,
    type: EntryType,
    statement: Record<string, unknown>,
    current: IdentityState | null,
  ): Promise<IdentityState> {
    const partial: Omit<LogEntry, 'hash'> = {
      did,
      seq: current ? current.headSeq + 1 : 0,
      type,
      statement,
      prevHash: current?.headHash ?? null,
      recordedAt: this.#deps.now(),
    };
    const hash = entryHash(partial);
    const next = applyEntry(current, partial, hash);
    try {
      await this.#deps.store.appendEntry({ ...partial, hash }, next);
    } catch (error) {
      if (error instanceof StoreConflictError) {
        throw new PlexusError('conflict', 'log_conflict', `${did} changed concurrently`, {
          hint: 'resolve the DID again and retry',
        });
      }
      throw error;
    }
    return next;
  }

  async register(card: Record<string, unknown>): Promise<{ state: IdentityState; created: boolean }> {
    const did = didOf(card, 'card');
    const issuedAt = card['issuedAt'];
    this.checkNotFuture(issuedAt, 'card.issuedAt');
    const { now, settings } = this.#deps;
    if (typeof issuedAt === 'number' && now() - issuedAt > settings.cardMaxAgeSeconds * 1000) {
      throw new PlexusError(
        'forbidden',
        'card_expired',
        `card was issued more than ${settings.cardMaxAgeSeconds} s ago`,
        {
          hint: 'sign a fresh card with a new issuedAt and a higher version',
        },
      );
    }
    const current = await this.#deps.store.getIdentity(did);
    const state = await this.#append(did, current ? 'update' : 'register', card, current);
    // A new card may list another endpoint or key-agreement key: peers that cached the old one refresh it.
    this.#deps.publish(current ? 'identity.updated' : 'identity.registered', did, {
      version: state.card.version,
    });
    return { state, created: !current };
  }

  async resolve(did: string): Promise<IdentityState> {
    const state = await this.#deps.store.getIdentity(did);
    if (!state) {
      throw new PlexusError('not_found', 'did_not_found', `${did} is not registered`, {
        hint: 'register it with register_identity',
      });
    }
    return state;
  }

  async rotate(statement: Record<string, unknown>): Promise<IdentityState> {
    const did = didOf(statement, 'statement');
    this.checkNotFuture(statement['issuedAt'], 'statement.issuedAt');
    const state = await this.#append(did, 'rotate', statement, await this.resolve(did));
    this.#deps.publish('identity.rotated', did, { key: state.key, seq: state.headSeq });
    return state;
  }

  async revoke(statement: Record<string, unknown>): Promise<IdentityState> {
    const did = didOf(statement, 'statement');
    this.checkNotFuture(statement['issuedAt'], 'statement.issuedAt');
    return this.#revoked(await this.#append(did, 'revoke', statement, await this.resolve(did)));
  }

  /**
   * Revokes `did` on an operator's word: `revokedBy` is the operator's subject as the caller's verified token
   * names it (the tool takes it from there, never from an argument).
   */
  async revokeByOperator(did: string, reason: string, revokedBy: string): Promise<IdentityState> {
    const current = await this.resolve(did);
    const statement = {
      type: 'plexus/operator-revocation',
      did,
      reason,
      revokedBy,
      issuedAt: this.#deps.now(),
    };
    return this.#revoked(await this.#append(did, 'revoke', statement, current));
  }

  /** Tells the network (the gateway, the agent itself, its peers) who revoked it and why. */
  #revoked(state: IdentityState): IdentityState {
    this.#deps.publish('identity.revoked', state.did, {
      seq: state.headSeq,
      revoked_by: state.revokedBy ?? state.did,
      ...(state.revocationReason ? { reason: state.revocationReason } : {}),
    });
    return state;
  }

  async log(did: string): Promise<{ entries: LogEntry[]; verification: LogVerification }> {
    const entries = await this.#deps.store.getLog(did);
    if (entries.length === 0) await this.resolve(did);
    return { entries, verification: verifyIdentityLog(did, entries) };
  }

  /** The key signatures must verify against now: from the log when registered, else the did:key's own. */
  async currentKey(did: string): Promise<CurrentKey> {
    const state = await this.#deps.store.getIdentity(did);
    const key = state?.key ?? didKeyFragment(did);
    return { did, key, keyId: keyId(did, key), registered: state !== null, revoked: state?.revoked ?? false };
  }

  /** The current key for authentication; revoked DIDs are refused, saying who revoked them and why. */
  async usableKey(did: string): Promise<Uint8Array> {
    const state = await this.#deps.store.getIdentity(did);
    if (state?.revoked) {
      throw new PlexusError(
        'forbidden',
        'identity_revoked',
        revocationText(did, state.revokedBy, state.revocationReason),
        { hint: 'a revoked identity cannot authenticate; create a new one' },
      );
    }
    return ed25519FromMultibase(state?.key ?? didKeyFragment(did));
  }

  async verify(
    did: string,
    message: Uint8Array,
    signature: string,
  ): Promise<{ result: VerifyResult } & CurrentKey> {
    const current = await this.currentKey(did);
    if (current.revoked) return { result: 'revoked', ...current };
    let sig: Uint8Array;
    try {
      sig = fromBase64Url(signature);
    } catch {
      return { result: 'malformed', ...current };
    }
    if (sig.length !== 64) return { result: 'malformed', ...current };
    const ok = ed25519Verify(message, sig, ed25519FromMultibase(current.key));
    return { result: ok ? 'valid' : 'signature_mismatch', ...current };
  }
}
