import { z } from 'zod';
import { Did, Signature, TimestampMs, X25519Multibase, label } from './common.ts';

export const MAX_CAPABILITIES = 64;

/** A capability an agent offers, e.g. `summarize`, `code.review`, `translate/de`. */
export const Capability = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-z0-9][a-z0-9._:/-]*$/, 'must be lower-case letters, digits and . _ : / -');
export type Capability = z.infer<typeof Capability>;

export const HttpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).max(2048);

export const AgentEndpoints = z.strictObject({
  /** The hub the agent is reachable through. */
  hub: HttpUrl.optional(),
  /** The agent's own MCP endpoint, for direct (P2P) calls. */
  mcp: HttpUrl.optional(),
});
export type AgentEndpoints = z.infer<typeof AgentEndpoints>;

/**
 * What an agent says about itself, signed by its did:key (JCS of every field but `signature`). `version`
 * increases with each re-registration so a stale card can never replace a newer one.
 */
export const AgentCard = z
  .strictObject({
    did: Did,
    name: label(64),
    role: label(64),
    capabilities: z.array(Capability).max(MAX_CAPABILITIES),
    endpoints: AgentEndpoints,
    keyAgreement: X25519Multibase,
    version: z.int().positive(),
    issuedAt: TimestampMs,
    signature: Signature,
  })
  .superRefine((card, ctx) => {
    const seen = new Set<string>();
    card.capabilities.forEach((c, i) => {
      if (seen.has(c)) ctx.addIssue({ code: 'custom', path: ['capabilities', i], message: 'duplicate' });
      seen.add(c);
    });
  });
export type AgentCard = z.infer<typeof AgentCard>;
export type UnsignedAgentCard = Omit<AgentCard, 'signature'>;
