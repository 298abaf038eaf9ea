import { invalid } from '../errors.ts';
import {
  Envelope,
  EnvelopeMetadataInput,
  NONCE_BYTES,
  type Priority,
  type UnsignedEnvelope,
} from '../../schemas/envelope.ts';
import { parseOrThrow, type JsonValue } from '../../schemas/common.ts';
import { fromBase64Url, toBase64Url } from './bytes.ts';
import type { X25519KeyPair } from './identity-keys.ts';
import { signingBytes } from './jcs.ts';
import { didFromEd25519, ed25519FromDidCached } from './multikey.ts';
import { nodeSuite } from './node-suite.ts';
import { makeSealer } from './seal.ts';
import type { CryptoSuite } from './suite.ts';
import { uuidv7 } from './uuidv7.ts';

/** Who signs: the sender's did:key and its 32-byte Ed25519 secret key. */
export interface EnvelopeSigner {
  did: string;
  secretKey: Uint8Array;
  /** The key is one the DID rotated to (its identity log says so), not the did:key's own. */
  rotated?: boolean;
}

export interface EnvelopeDraft {
  type: string;
  recipient: string;
  content: JsonValue;
  /** Seal `content` for this X25519 key-agreement key (raw or `z6LS…`); the recipient must be a DID. */
  sealTo?: Uint8Array | string;
  thread?: string;
  metadata?: { priority?: Priority; ttl?: number };
  /** Creation time (ms); defaults to now. */
  now?: number;
}

export interface EnvelopeApi {
  /**
   * Signs every field but `signature` (RFC 8785 canonical form); the key must be the sender's did:key's
   * own unless `rotated` (the sender's identity log is then what vouches for it).
   */
  signEnvelope: (unsigned: UnsignedEnvelope, secretKey: Uint8Array, rotated?: boolean) => Envelope;
  /**
   * True when `signature` is a signature over every other field by `publicKey`, by default the sender's
   * did:key's own key. Never throws.
   */
  verifyEnvelope: (envelope: Record<string, unknown>, publicKey?: Uint8Array) => boolean;
  /** Fills id, timestamp, expires, nonce and metadata defaults, seals if asked, signs, and validates. */
  createEnvelope: (signer: EnvelopeSigner, draft: EnvelopeDraft) => Envelope;
  /**
   * Validates an untrusted value (throws `invalid` naming the field) and its signature (throws
   * `invalid('<what>.signature', …, 'signature_invalid')`). Freshness is ReplayGuard's job.
   */
  checkEnvelope: (value: unknown, what?: string) => Envelope;
  /** The content of an envelope addressed to the holder of `recipient`, opening `enc` when sealed. */
  openEnvelope: (envelope: Envelope, recipient: X25519KeyPair) => JsonValue;
}

export function makeEnvelopeApi(suite: CryptoSuite): EnvelopeApi {
  const sealer = makeSealer(suite);
  const didOfSecret = new WeakMap<Uint8Array, string>();

  function signEnvelope(unsigned: UnsignedEnvelope, secretKey: Uint8Array, rotated = false): Envelope {
    let did = didOfSecret.get(secretKey);
    if (did === undefined) {
      did = didFromEd25519(suite.ed25519PublicKey(secretKey));
      didOfSecret.set(secretKey, did);
    }
    if (!rotated && did !== unsigned.sender)
      throw invalid('sender', 'is not the DID of the signing key', 'sender_mismatch');
    const signature = toBase64Url(suite.ed25519Sign(signingBytes(unsigned), secretKey));
    return { ...unsigned, signature };
  }

  function verifyEnvelope(envelope: Record<string, unknown>, publicKey?: Uint8Array): boolean {
    const { sender, signature } = envelope;
    if (typeof sender !== 'string' || typeof signature !== 'string') return false;
    try {
      return suite.ed25519Verify(
        signingBytes(envelope),
        fromBase64Url(signature),
        publicKey ?? ed25519FromDidCached(sender),
      );
    } catch {
      return false;
    }
  }

  function createEnvelope(signer: EnvelopeSigner, draft: EnvelopeDraft): Envelope {
    const metadata = parseOrThrow(EnvelopeMetadataInput, draft.metadata ?? {}, 'metadata');
    const timestamp = Math.floor(draft.now ?? Date.now());
    const id = uuidv7(timestamp);
    const header = { sender: signer.did, recipient: draft.recipient, id };
    const unsigned: UnsignedEnvelope = {
      id,
      type: draft.type,
      sender: signer.did,
      recipient: draft.recipient,
      timestamp,
      expires: timestamp + metadata.ttl * 1000,
      nonce: toBase64Url(suite.randomBytes(NONCE_BYTES)),
      ...(draft.thread !== undefined ? { thread: draft.thread } : {}),
      metadata: { priority: metadata.priority, ttl: metadata.ttl },
      ...(draft.sealTo !== undefined
        ? { enc: sealer.sealContent(draft.content, draft.sealTo, header) }
        : { content: draft.content }),
    };
    return parseOrThrow(Envelope, signEnvelope(unsigned, signer.secretKey, signer.rotated), 'envelope');
  }

  function checkEnvelope(value: unknown, what = 'envelope'): Envelope {
    const envelope = parseOrThrow(Envelope, value, what);
    if (!verifyEnvelope(envelope)) {
      throw invalid(`${what}.signature`, 'is not a valid signature by the sender', 'signature_invalid');
    }
    return envelope;
  }

  function openEnvelope(envelope: Envelope, recipient: X25519KeyPair): JsonValue {
    if (envelope.enc === undefined) return envelope.content ?? null;
    return sealer.openContent(envelope.enc, recipient, envelope);
  }

  return { signEnvelope, verifyEnvelope, createEnvelope, checkEnvelope, openEnvelope };
}

export const { signEnvelope, verifyEnvelope, createEnvelope, checkEnvelope, openEnvelope } =
  makeEnvelopeApi(nodeSuite);
