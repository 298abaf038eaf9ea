import { z } from 'zod';
import { AccessScope } from '../../schemas/identity/settings.ts';
import { checkRedirectUri } from './redirect-uris.ts';

/** A redirect URI a client may be sent back to: https, or http on this computer (loopback). */
export const RedirectUri = z.string().superRefine((value, ctx) => {
  const problem = checkRedirectUri(value);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

const Grant = z.enum(['authorization_code', 'refresh_token', 'client_credentials']);

/**
 * A client the operator registered in plexus.json (`oauth.clients.<client_id>`): an app people sign in to
 * (redirect URIs), or a machine client with a secret that acts as one hub user (client_credentials; the
 * ext-auth client-credentials extension, e.g. the SDK's ClientCredentialsProvider).
 */
export const ConfiguredClient = z
  .strictObject({
    /** Shown on the consent page. */
    name: z.string().min(1).max(128),
    redirectUris: z.array(RedirectUri).max(16).default([]),
    grantTypes: z.array(Grant).min(1).default(['authorization_code', 'refresh_token']),
    /**
     * Hex SHA-256 of the client secret (`printf %s "$SECRET" | sha256sum`): the client is confidential and
     * authenticates with client_secret_basic or client_secret_post. Secrets are high-entropy (≥ 32 random
     * characters), so a plain hash suffices. Absent: a public client (PKCE only).
     */
    secretSha256: z
      .string()
      .regex(/^[0-9a-f]{64}$/, 'must be 64 lower-case hex digits (sha256sum of the secret)')
      .optional(),
    /** For client_credentials: the hub user whose identity the client's tokens carry. */
    user: z.string().min(1).max(64).optional(),
    /** The most this client's tokens may carry (further limited by the user's own scopes). */
    scopes: z.array(AccessScope).min(1).default(['read', 'write']),
  })
  .superRefine((client, ctx) => {
    if (client.grantTypes.includes('client_credentials')) {
      if (!client.secretSha256)
        ctx.addIssue({ code: 'custom', path: ['secretSha256'], message: 'required for client_credentials' });
      if (!client.user)
        ctx.addIssue({
          code: 'custom',
          path: ['user'],
          message: 'required for client_credentials: the hub user the client acts as',
        });
    }
    if (client.grantTypes.includes('authorization_code') && client.redirectUris.length === 0)
      ctx.addIssue({ code: 'custom', path: ['redirectUris'], message: 'required for authorization_code' });
  });
export type ConfiguredClient = z.infer<typeof ConfiguredClient>;

const AddressCategory = z.enum(['loopback', 'private', 'link-local', 'shared']);

/** `oauth` in plexus.json: the hub's authorization server. Every field has a default. */
export const OAuthSettings = z.strictObject({
  /** Pre-registered clients by client_id. */
  clients: z.record(z.string().min(1).max(256), ConfiguredClient).default({}),
  /** Client ID Metadata Documents: clients whose client_id is an https URL the hub fetches. */
  clientMetadataDocuments: z
    .strictObject({
      enabled: z.boolean().default(true),
      /** Non-public address kinds a metadata URL may resolve to (none by default: no SSRF into the LAN). */
      allowAddresses: z.array(AddressCategory).default([]),
      timeoutMs: z.int().min(100).max(30_000).default(5000),
      maxBytes: z.int().min(512).max(65_536).default(5120),
      /** How long a document is kept when its response names no lifetime (Cache-Control wins, ≤ 1 day). */
      cacheSeconds: z.int().min(0).max(86_400).default(300),
    })
    .prefault({}),
  /** RFC 7591 dynamic registration (deprecated by MCP in favour of metadata documents; many clients use it). */
  dynamicRegistration: z
    .strictObject({
      enabled: z.boolean().default(true),
      /** Registered clients kept at most; further registrations are refused. */
      maxClients: z.int().positive().default(10_000),
    })
    .prefault({}),
  /** Refresh tokens rotate on every use; a grant unused this long expires. */
  refreshTokenDays: z.int().min(1).max(365).default(30),
  /** How long a browser stays signed in to the consent and approved-clients pages. */
  sessionHours: z
    .int()
    .min(1)
    .max(24 * 30)
    .default(12),
  /** Sign-in attempts per user name and per address: a burst, then this many a minute. */
  signInAttempts: z
    .strictObject({
      burst: z.int().positive().default(5),
      perMinute: z.number().positive().default(5),
    })
    .prefault({}),
});
export type OAuthSettings = z.infer<typeof OAuthSettings>;
