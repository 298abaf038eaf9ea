import { didKeyFragment } from '../crypto/multikey.ts';
import { verifyObject } from '../crypto/signed-object.ts';
import { parseOrThrow } from '../../schemas/common.ts';
import { RotationStatement } from '../../schemas/identity/statements.ts';
import type { z } from 'zod';
import type { GetIdentityLogOutput } from '../../schemas/identity/tools.ts';
import { ed25519FromMultibase } from './identity-log.ts';

/**
 * The key that `chain` (a DID's rotation statements, oldest first) leads to from the did:key's own key, each
 * statement signed by the key before it; null when a link is not the DID's, out of order or not signed so.
 * It proves who authorised each key with no identity server at hand, not that a key is still current (a
 * later rotation or a revocation is in the identity log only), nor that a holder of a retired key did not
 * sign a rotation the log never recorded: a check that can reach the log (keysValidAt) settles both.
 */
export function keyReachedBy(did: string, chain: readonly RotationStatement[]): string | null {
  let key = didKeyFragment(did);
  let seq = 0;
  for (const statement of chain) {
    if (statement.did !== did || statement.seq <= seq) return null;
    if (!verifyObject(statement, ed25519FromMultibase(key))) return null;
    key = statement.key;
    seq = statement.seq;
  }
  return key;
}

/** The rotation statements of an identity log (get_identity_log), oldest first: a chain for keyReachedBy. */
export function rotationsIn(log: z.infer<typeof GetIdentityLogOutput>): RotationStatement[] {
  return log.entries
    .filter((entry) => entry.type === 'rotate')
    .map((entry) => parseOrThrow(RotationStatement, entry.statement, `entries.${entry.seq}.statement`));
}
