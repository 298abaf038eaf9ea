import { DID_KEY_PATTERN } from '../schemas/common.ts';
import { PlexusError } from '../lib/errors.ts';
import type { RegistryClient } from '../lib/clients/registry.ts';

/**
 * Whom a person means by `to`: a DID, or an agent's name. Anything starting with `did:` is taken as a DID,
 * so a mistyped one is reported as malformed rather than looked up (and not found) as a name.
 */
export function recipientOf(to: string): { did: string } | { name: string } {
  if (DID_KEY_PATTERN.test(to)) return { did: to };
  if (/^did:/i.test(to))
    throw new PlexusError(
      'invalid',
      'invalid_input',
      `to: '${to}' is a malformed DID: Plexus DIDs are did:key:z6Mk followed by 44 base58 characters`,
      { field: 'to' },
    );
  if (to.trim() === '')
    throw new PlexusError('invalid', 'invalid_input', 'to: must not be empty', { field: 'to' });
  return { name: to };
}

/** The DID of the one registered agent named `name` (case-insensitive, whole name). */
export async function didByName(registry: RegistryClient, name: string): Promise<string> {
  const found = await registry.findAgents({ name, limit: 100 });
  const exact = found.agents.filter((agent) => agent.name.toLowerCase() === name.toLowerCase());
  const dids = [...new Set(exact.map((agent) => agent.did))];
  if (dids.length === 0)
    throw new PlexusError('not_found', 'recipient_unknown', `no agent named '${name}' is registered`, {
      hint: 'plexus agents lists who is there; or give the DID',
    });
  if (dids.length > 1)
    throw new PlexusError(
      'conflict',
      'recipient_ambiguous',
      `several agents are named '${name}': ${dids.join(', ')}`,
      { hint: 'give the DID instead' },
    );
  return dids[0] as string;
}

/** The DID `to` names: itself, or the one agent of that name. */
export async function resolveDidOf(registry: RegistryClient, to: string): Promise<string> {
  const ref = recipientOf(to);
  return 'did' in ref ? ref.did : didByName(registry, ref.name);
}
