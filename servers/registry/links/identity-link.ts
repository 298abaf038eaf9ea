import type { Logger } from '../../../lib/log.ts';
import { ToolError } from '../../../lib/clients/errors.ts';
import type { IdentityClient } from '../../../lib/clients/identity.ts';
import { ed25519FromDid } from '../../../lib/crypto/multikey.ts';
import type { DidStatus, IdentityDirectory, TrustOutcome } from '../domain/ports.ts';
import type { SiblingLink } from '../../../lib/clients/sibling-link.ts';

/** The identity server through its MCP tools; a DID it does not know stands on its did:key alone. */
export class IdentityLink implements IdentityDirectory {
  readonly #link: SiblingLink<IdentityClient>;
  readonly #log: Logger;

  constructor(link: SiblingLink<IdentityClient>, log: Logger) {
    this.#link = link;
    this.#log = log;
  }

  async resolve(did: string): Promise<DidStatus | null> {
    const identity = await this.#link.client();
    if (!identity) return null;
    try {
      const resolved = await identity.resolveDid({ did });
      return { revoked: resolved.revoked, signingKeys: [ed25519FromDid(`did:key:${resolved.key}`)] };
    } catch (error) {
      if (error instanceof ToolError && error.code === 'did_not_found') return null;
      // Anything else fails closed: a revocation must not be skipped because identity hiccuped.
      throw error;
    }
  }

  async trust(did: string): Promise<number | null> {
    try {
      const identity = await this.#link.client();
      return identity ? (await identity.getTrust({ did })).score : null;
    } catch (error) {
      this.#log.warn({ err: error, did }, 'trust lookup failed; ranking without it');
      return null;
    }
  }

  async reportOutcome(outcome: TrustOutcome): Promise<void> {
    try {
      await (await this.#link.client())?.reportOutcome(outcome);
    } catch (error) {
      this.#log.warn({ err: error, subject: outcome.subject }, 'outcome not reported to identity');
    }
  }
}
