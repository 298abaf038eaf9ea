import { z } from 'zod';
import { Did } from './common.ts';

export const DID_CONTEXT = 'https://www.w3.org/ns/did/v1';
export const MULTIKEY_CONTEXT = 'https://w3id.org/security/multikey/v1';

/** `did:…#fragment`: a verification method id or a reference to one. */
export const DidUrl = z
  .string()
  .max(160)
  .regex(/^did:[a-z0-9]+:[A-Za-z0-9._:%-]+#[A-Za-z0-9._~-]+$/, 'must be a DID URL (did:…#fragment)');
export type DidUrl = z.infer<typeof DidUrl>;

export const VerificationMethod = z.object({
  id: DidUrl,
  type: z.literal('Multikey'),
  controller: Did,
  publicKeyMultibase: z
    .string()
    .max(128)
    .regex(/^z[1-9A-HJ-NP-Za-km-z]+$/, 'must be multibase base58btc (z…)'),
});
export type VerificationMethod = z.infer<typeof VerificationMethod>;

const References = z.array(DidUrl).max(16);

/**
 * The subset of a W3C DID document Plexus publishes: the did:key signing method (authentication,
 * assertionMethod) and the separate X25519 key-agreement method. Every reference must name a listed method.
 */
export const DidDocument = z
  .object({
    '@context': z.union([z.string().max(256), z.array(z.string().max(256)).max(8)]).optional(),
    id: Did,
    verificationMethod: z.array(VerificationMethod).min(1).max(16),
    authentication: References.min(1),
    assertionMethod: References.optional(),
    keyAgreement: References,
  })
  .superRefine((doc, ctx) => {
    const ids = new Set(doc.verificationMethod.map((m) => m.id));
    for (const relation of ['authentication', 'assertionMethod', 'keyAgreement'] as const) {
      doc[relation]?.forEach((ref, i) => {
        if (!ids.has(ref)) {
          ctx.addIssue({
            code: 'custom',
            path: [relation, i],
            message: `references ${ref}, which is not in verificationMethod`,
          });
        }
      });
    }
    doc.verificationMethod.forEach((m, i) => {
      if (!m.id.startsWith(`${doc.id}#`)) {
        ctx.addIssue({
          code: 'custom',
          path: ['verificationMethod', i, 'id'],
          message: 'must start with id#',
        });
      }
    });
  });
export type DidDocument = z.infer<typeof DidDocument>;
