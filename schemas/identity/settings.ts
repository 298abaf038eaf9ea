import { z } from 'zod';

export const MAX_ACCESS_TOKEN_TTL_SECONDS = 900;
export const MAX_ASSERTION_LIFETIME_SECONDS = 300;

/** The scopes access tokens carry: admin implies write implies read. */
export const AccessScope = z.enum(['read', 'write', 'admin']);
export type AccessScope = z.infer<typeof AccessScope>;

/** The identity server's config section. */
export const IdentitySettings = z.strictObject({
  /** `iss` of every access token. */
  issuer: z.string().min(1).max(256).default('urn:plexus:identity'),
  /** Default `aud` of access tokens; a client may ask for another one from `audiences`. */
  audience: z.string().min(1).max(256).default('plexus'),
  /** Further audiences a client may ask for. */
  audiences: z.array(z.string().min(1).max(256)).max(32).default([]),
  /** Accepted `aud` of client assertions besides the issuer: the token endpoint URL(s). */
  tokenEndpoints: z.array(z.string().min(1).max(2048)).max(16).default([]),
  accessTokenTtlSeconds: z.int().min(30).max(MAX_ACCESS_TOKEN_TTL_SECONDS).default(600),
  assertionMaxLifetimeSeconds: z
    .int()
    .min(10)
    .max(MAX_ASSERTION_LIFETIME_SECONDS)
    .default(MAX_ASSERTION_LIFETIME_SECONDS),
  clockSkewSeconds: z.int().min(0).max(300).default(30),
  /** The most an agent's access token may carry; a request can only narrow it. */
  agentScopes: z.array(AccessScope).min(1).default(['read', 'write']),
  operatorTokenMaxTtlSeconds: z
    .int()
    .min(60)
    .max(366 * 86400)
    .default(90 * 86400),
  challengeTtlSeconds: z.int().min(5).max(3600).default(120),
  /** A card older than this (by its issuedAt) is refused as expired. */
  cardMaxAgeSeconds: z
    .int()
    .min(60)
    .default(30 * 86400),
  trust: z
    .strictObject({
      halfLifeDays: z.number().positive().max(3650).default(30),
      /** β: how much any viewer believes outcome reports from the registry, in [0, 1). */
      authorityBelief: z.number().min(0).lt(1).default(0.5),
    })
    .prefault({}),
});
export type IdentitySettings = z.infer<typeof IdentitySettings>;
