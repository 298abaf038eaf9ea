// Builders for signed attestations, shared by the trust tests.
import type { IdentityKeys } from '../../lib/crypto/identity-keys.ts';
import { signObject } from '../../lib/crypto/signed-object.ts';
import { T0 } from './test-support.ts';

let counter = 0;

export function attestation(
  attester: IdentityKeys,
  subject: string,
  positive: boolean,
  options: { reference?: string; weight?: number; issuedAt?: number; secretKey?: Uint8Array } = {},
): Record<string, unknown> {
  return signObject(
    {
      type: 'plexus/attestation',
      attester: attester.did,
      subject,
      positive,
      weight: options.weight ?? 1,
      context: 'task',
      reference: options.reference ?? `task-${++counter}`,
      issuedAt: options.issuedAt ?? T0,
    },
    options.secretKey ?? attester.signing.secretKey,
  );
}
