import type { AgentCard } from '../../schemas/agent-card.ts';
import { ToolError } from '../clients/errors.ts';
import type { IdentityClient } from '../clients/identity.ts';
import type { IdentityKeys } from '../crypto/identity-keys.ts';
import { buildAgentCard } from './identity-file.ts';

/** The role a person's identity card carries (agents name their own). */
export const PERSON_ROLE = 'person';

/** A person's card: their name, role `person`, their key-agreement key; signed by their own key. */
export function personCard(keys: IdentityKeys, name: string, now: number, version = 1): AgentCard {
  return buildAgentCard(
    {
      did: keys.did,
      name,
      role: PERSON_ROLE,
      capabilities: [],
      endpoints: {},
      keyAgreement: keys.keyAgreementMultibase,
      version,
      issuedAt: now,
    },
    keys.signing.secretKey,
  );
}

/**
 * Registers a person's DID with the identity server unless it already is, the way an agent registers
 * itself: a card signed by the DID's key, made fresh (cards expire). Returns whether it registered now.
 */
export async function ensurePersonRegistered(
  identity: IdentityClient,
  keys: IdentityKeys,
  name: string,
  now: number,
): Promise<boolean> {
  try {
    await identity.resolveDid({ did: keys.did });
    return false;
  } catch (error) {
    if (!(error instanceof ToolError) || error.code !== 'did_not_found') throw error;
  }
  await identity.registerIdentity({ card: personCard(keys, name, now) });
  return true;
}
