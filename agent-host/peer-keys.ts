import { verifyEnvelope } from '../lib/crypto/envelope.ts';
import { SigningKeys, type IdentitySource } from '../lib/identity/signing-keys.ts';
import type { Envelope } from '../schemas/envelope.ts';

/**
 * The keys peers sign with, taken from their identity log (lib/identity/signing-keys.ts), so the hub cannot
 * substitute a key. A DID the identity server does not know, or any DID while no hub is connected, stands on
 * its did:key alone; when the lookup fails, the check fails as `unavailable` (to be tried again), never as a
 * bad signature.
 *
 * A retired key still verifies an envelope it signed before its rotation was recorded, while that envelope
 * has not expired: mail sent just before a rotation and still waiting in an inbox is read. The timestamp is
 * the signer's own claim, so whoever holds a retired key could backdate a message for as long as an envelope
 * lives (its ttl, at most seven days) after the rotation; a key that may be stolen calls for revocation, which
 * refuses every signature of the DID.
 */
export class PeerKeys extends SigningKeys {
  readonly #now: () => number;

  constructor(options: { identity: IdentitySource; now?: () => number }) {
    super(options);
    this.#now = options.now ?? Date.now;
  }

  /** Whether the envelope's signature is its sender's, by the key valid when it was signed. */
  verify(envelope: Envelope): Promise<boolean> {
    // An expired envelope counts as signed now: only the current key speaks for it.
    const signedAt = envelope.expires > this.#now() ? envelope.timestamp : Infinity;
    return this.signedBy(envelope.sender, signedAt, (key) => verifyEnvelope(envelope, key));
  }
}
