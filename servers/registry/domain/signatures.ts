import { PlexusError } from '../../../lib/errors.ts';
import { ed25519FromDid } from '../../../lib/crypto/multikey.ts';
import { verifyObject } from '../../../lib/crypto/signed-object.ts';
import type { IdentityDirectory } from './ports.ts';

/**
 * Checks that `value` is signed by `did`: against the keys the identity server currently lists for it (so a
 * rotated-out key no longer counts) or, without an identity server, the did:key itself. A revoked DID is
 * refused either way the identity server knows it.
 */
export async function verifySignedBy(
  identity: IdentityDirectory,
  did: string,
  value: Record<string, unknown>,
  field: string,
): Promise<void> {
  const status = await identity.resolve(did);
  if (status?.revoked) {
    throw new PlexusError('forbidden', 'did_revoked', `${did} has been revoked`, {
      hint: 'a revoked identity cannot publish; create a new one',
      field,
    });
  }
  const keys = status ? status.signingKeys : [ed25519FromDid(did)];
  if (!keys.some((key) => verifyObject(value, key))) {
    throw new PlexusError(
      'forbidden',
      'signature_invalid',
      `${field}.signature: does not verify for ${did}`,
      {
        hint: 'sign the JCS form of every field but signature with the DID key',
        field: `${field}.signature`,
      },
    );
  }
}
