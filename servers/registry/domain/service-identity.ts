import { createEnvelope } from '../../../lib/crypto/envelope.ts';
import { generateEd25519 } from '../../../lib/crypto/ed25519.ts';
import { didFromEd25519 } from '../../../lib/crypto/multikey.ts';
import {
  DEFAULT_TTL_SECONDS,
  MAX_TTL_SECONDS,
  type Envelope,
  type Priority,
} from '../../../schemas/envelope.ts';
import type { JsonValue } from '../../../schemas/common.ts';
import type { RegistryStore } from './store.ts';

/**
 * The registry's own did:key. It signs the envelopes the registry sends (task assignments), so agents can
 * tell a real assignment from a forged one. Generated once and kept in the store, so every restart (and every
 * replica sharing the store) signs with the same key.
 */
export interface ServiceIdentity {
  did: string;
  secretKey: Uint8Array;
}

export async function loadServiceIdentity(store: RegistryStore, now: number): Promise<ServiceIdentity> {
  const fresh = generateEd25519();
  const key = await store.ensureServiceKey({
    did: didFromEd25519(fresh.publicKey),
    secretKey: fresh.secretKey,
    createdAt: now,
  });
  return { did: key.did, secretKey: key.secretKey };
}

export interface EnvelopeSpec {
  type: string;
  recipient: string;
  content: JsonValue;
  /** The recipient's X25519 key-agreement key (`z6LS…`): when known, the content is sealed for it. */
  sealTo?: string | undefined;
  thread?: string;
  priority?: Priority;
  /** Seconds; clamped to what the wire allows. */
  ttl?: number;
}

/** A signed (and, when the recipient's key is known, sealed) envelope from the registry. */
export function serviceEnvelope(identity: ServiceIdentity, spec: EnvelopeSpec, now: number): Envelope {
  const ttl = Math.min(MAX_TTL_SECONDS, Math.max(1, Math.ceil(spec.ttl ?? DEFAULT_TTL_SECONDS)));
  return createEnvelope(identity, {
    type: spec.type,
    recipient: spec.recipient,
    content: spec.content,
    ...(spec.sealTo === undefined ? {} : { sealTo: spec.sealTo }),
    ...(spec.thread === undefined ? {} : { thread: spec.thread }),
    metadata: { priority: spec.priority ?? 'normal', ttl },
    now,
  });
}
