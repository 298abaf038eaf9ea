import { signingBytes } from '../../../lib/crypto/jcs.ts';
import { PlexusError } from '../../../lib/errors.ts';
import { parseOrThrow } from '../../../schemas/common.ts';
import { Attestation } from '../../../schemas/identity/statements.ts';
import type { IdentityService } from './identities.ts';
import type { EvidenceRecord, IdentityStore } from './store.ts';
import { AUTHORITY, computeTrust, type TrustParams, type TrustResult } from './trust-model.ts';

/** Attestations and reported outcomes in, a viewer's Beta-reputation score out (see trust-model.ts). */
export class TrustService {
  readonly #store: IdentityStore;
  readonly #identities: IdentityService;
  readonly #now: () => number;
  readonly params: TrustParams;

  constructor(deps: {
    store: IdentityStore;
    identities: IdentityService;
    now: () => number;
    params: TrustParams;
  }) {
    this.#store = deps.store;
    this.#identities = deps.identities;
    this.#now = deps.now;
    this.params = deps.params;
  }

  /** Records a signed attestation; self, duplicate, unsigned or badly signed ones are refused. */
  async attest(input: Record<string, unknown>): Promise<EvidenceRecord> {
    if (input['signature'] === undefined) {
      throw new PlexusError(
        'invalid',
        'attestation_unsigned',
        'attestation.signature: the attestation is unsigned',
        {
          field: 'attestation.signature',
        },
      );
    }
    const a = parseOrThrow(Attestation, input, 'attestation');
    if (a.attester === a.subject)
      throw new PlexusError('forbidden', 'self_attestation', 'an identity cannot attest itself');
    this.#identities.checkNotFuture(a.issuedAt, 'attestation.issuedAt');
    const verified = await this.#identities.verify(a.attester, signingBytes(a), a.signature);
    if (verified.result === 'revoked')
      throw new PlexusError('forbidden', 'identity_revoked', `attester ${a.attester} is revoked`);
    if (verified.result !== 'valid') {
      throw new PlexusError(
        'forbidden',
        'attestation_signature_invalid',
        'attestation signature does not verify against the attester’s current key',
      );
    }
    const evidence: EvidenceRecord = {
      attester: a.attester,
      subject: a.subject,
      source: 'attestation',
      positive: a.positive,
      weight: a.weight,
      reference: `${a.context}:${a.reference}`,
      recordedAt: this.#now(),
      statement: input,
    };
    if (!(await this.#store.addEvidence(evidence))) {
      throw new PlexusError(
        'conflict',
        'duplicate_attestation',
        `${a.attester} already attested ${a.subject} about ${a.context} ${a.reference}`,
      );
    }
    return evidence;
  }

  /** Task outcome or heartbeat uptime reported by the registry; a repeated reference counts once. */
  async reportOutcome(input: {
    subject: string;
    source: 'task' | 'uptime';
    positive: boolean;
    weight: number;
    reference: string;
  }): Promise<boolean> {
    return this.#store.addEvidence({
      attester: AUTHORITY,
      ...input,
      recordedAt: this.#now(),
      statement: null,
    });
  }

  async trust(subject: string, viewer: string): Promise<TrustResult & { revoked: boolean }> {
    const about = await this.#store.evidenceAbout([subject]);
    const attesters = [...new Set(about.map((e) => e.attester))];
    const firstHandSources = viewer === AUTHORITY ? [AUTHORITY] : [viewer, AUTHORITY];
    const firstHand = await this.#store.evidenceAbout(attesters, firstHandSources);
    const revoked = await this.#store.revokedAmong([subject, ...attesters]);
    const result = computeTrust({
      viewer,
      subject,
      about,
      firstHand,
      revoked,
      now: this.#now(),
      params: this.params,
    });
    if (revoked.has(subject)) return { ...result, score: 0, revoked: true };
    return { ...result, revoked: false };
  }
}
