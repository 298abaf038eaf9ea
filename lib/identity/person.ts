import type { CallToolResult } from '@modelcontextprotocol/server';
import type { AgentCard } from '../../schemas/agent-card.ts';
import type { IdentityKeys } from '../crypto/identity-keys.ts';
import { toolErrorOf } from '../mcp/result.ts';
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

/** Calls one identity tool (in-process or through the hub's link). */
export type IdentityCall = (name: string, args: Record<string, unknown>) => Promise<CallToolResult>;

/**
 * Registers a person's DID with the identity server unless it already is, the way an agent registers
 * itself: a card signed by the DID's key, made fresh (cards expire). Returns whether it registered now.
 */
export async function ensurePersonRegistered(
  call: IdentityCall,
  keys: IdentityKeys,
  name: string,
  now: number,
): Promise<boolean> {
  const resolved = toolErrorOf(await call('resolve_did', { did: keys.did }));
  if (!resolved) return false;
  if (resolved.code !== 'did_not_found') throw new Error(`resolve_did: ${resolved.message}`);
  const registered = toolErrorOf(await call('register_identity', { card: personCard(keys, name, now) }));
  if (registered) throw new Error(`register_identity: ${registered.message}`);
  return true;
}
