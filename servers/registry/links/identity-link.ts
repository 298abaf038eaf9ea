import type { Logger } from '../../../lib/log.ts';
import { ed25519FromDid } from '../../../lib/crypto/multikey.ts';
import type { DidStatus, IdentityDirectory, TrustOutcome } from '../domain/ports.ts';
import { SiblingToolError, type SiblingLink } from './sibling.ts';

/** The identity server through its MCP tools; a DID it does not know stands on its did:key alone. */
export class IdentityLink implements IdentityDirectory {
  readonly #link: SiblingLink;
  readonly #log: Logger;

  constructor(link: SiblingLink, log: Logger) {
    this.#link = link;
    this.#log = log;
  }

  async resolve(did: string): Promise<DidStatus | null> {
    let resolved: Record<string, unknown> | null;
    try {
      resolved = await this.#link.call('resolve_did', { did });
    } catch (error) {
      if (error instanceof SiblingToolError && error.code === 'did_not_found') return null;
      // Anything else fails closed: a revocation must not be skipped because identity hiccuped.
      throw error;
    }
    if (!resolved) return null;
    const key = resolved['key'];
    return {
      revoked: resolved['revoked'] === true,
      signingKeys: typeof key === 'string' ? [ed25519FromDid(`did:key:${key}`)] : [],
    };
  }

  async trust(did: string): Promise<number | null> {
    try {
      const answer = await this.#link.call('get_trust', { did });
      const score = answer?.['score'];
      return typeof score === 'number' ? score : null;
    } catch (error) {
      this.#log.warn({ err: error, did }, 'trust lookup failed; ranking without it');
      return null;
    }
  }

  async reportOutcome(outcome: TrustOutcome): Promise<void> {
    try {
      await this.#link.call('report_outcome', { ...outcome });
    } catch (error) {
      this.#log.warn({ err: error, subject: outcome.subject }, 'outcome not reported to identity');
    }
  }
}
