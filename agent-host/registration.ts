import { PlexusError } from '../lib/errors.ts';
import { updateAgentCard, type LoadedIdentity } from '../lib/identity/identity-file.ts';
import { revocationText } from '../lib/identity/revocation.ts';
import type { Logger } from '../lib/log.ts';
import type { ResolveDidOutput } from '../schemas/identity/tools.ts';
import type { HubSession } from './hub-session.ts';
import { identityRevoked } from './revoked.ts';

/**
 * Makes sure the hub's identity server knows this DID with the card in identity.json, so peers can resolve
 * its name and key-agreement key. A card the server already has a newer (or equal, different) version of,
 * or one too old to be accepted, is re-signed with the next version; keys never change here (that is
 * `plexus agent rotate-key`). Throws identity_revoked for a revoked DID. Returns the identity with the card
 * now registered.
 */
export async function ensureIdentityRegistered(
  session: HubSession,
  identityPath: string,
  identity: LoadedIdentity,
  log: Logger,
): Promise<LoadedIdentity> {
  const server = session.servers.identity;
  let registered: ResolveDidOutput | null = null;
  try {
    registered = await server.resolveDid({ did: identity.did });
  } catch (error) {
    if (!(error instanceof PlexusError) || error.code !== 'did_not_found') throw error;
  }
  if (registered?.revoked)
    throw identityRevoked(revocationText(identity.did, registered.revoked_by, registered.revocation_reason));
  if (registered && registered.card.signature === identity.card.signature) return identity;
  const resign = (above: number): LoadedIdentity => {
    const card = updateAgentCard(
      identityPath,
      { ...identity, card: { ...identity.card, version: above } },
      {},
    );
    log.info({ version: card.version }, 'agent card re-signed');
    return { ...identity, card };
  };
  let current = identity;
  if (registered && registered.card.version >= current.card.version)
    current = resign(registered.card.version);
  try {
    await server.registerIdentity({ card: current.card });
  } catch (error) {
    if (!(error instanceof PlexusError) || error.code !== 'card_expired') throw error;
    current = resign(current.card.version);
    await server.registerIdentity({ card: current.card });
  }
  return current;
}
