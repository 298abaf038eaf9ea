import express, { type NextFunction, type Request, type Response } from 'express';
import type { AccessTokenClaims } from '../../lib/auth/access-token.ts';
import { KeyVault } from '../../lib/identity/key-vault.ts';
import type { Logger } from '../../lib/log.ts';
import type { RateLimiter } from '../../lib/rate-limit.ts';
import type { IdentityLink } from '../identity-link.ts';
import { decideAuthorization, showAuthorization } from './authorize.ts';
import { BrowserState } from './browser.ts';
import { MetadataDocuments } from './client-metadata.ts';
import { ClientDirectory } from './clients.ts';
import { revokeClient, showClients, signInToClients, signOut } from './clients-page.ts';
import { Grants } from './grants.ts';
import { STYLESHEET, STYLESHEET_PATH } from './html.ts';
import { authorizationServerMetadata, protectedResourceMetadata } from './metadata.ts';
import { registerEndpoint } from './register.ts';
import { HubResources } from './resources.ts';
import { revokeEndpoint } from './revoke.ts';
import type { OAuthSettings } from './settings.ts';
import { SignIn } from './sign-in.ts';
import { TokenStanding } from './standing.ts';
import { openOAuthStore, type OAuthStore } from './store.ts';
import { tokenEndpoint } from './token.ts';
import { Users } from './users.ts';

/** Paths anyone may call from any web origin (RFC 8414 §3 asks for CORS on metadata; no cookies are used). */
const PUBLIC_PATHS = new Set(['/oauth/token', '/oauth/register', '/oauth/revoke', '/oauth/jwks.json']);

/** Every path the router serves under /oauth (a bounded set of metric labels). */
export const OAUTH_ROUTES: readonly string[] = [
  ...PUBLIC_PATHS,
  '/oauth/authorize',
  '/oauth/clients',
  '/oauth/clients/revoke',
  '/oauth/signin',
  '/oauth/signout',
  STYLESHEET_PATH,
];

export function isPublicOAuthPath(path: string): boolean {
  return path.startsWith('/.well-known/') || PUBLIC_PATHS.has(path);
}

export interface OAuthServerOptions {
  settings: OAuthSettings;
  dataDir: string;
  databaseUrl: string | undefined;
  publicUrl: string;
  /** Whether a server of that name is mounted (its `/mcp/<name>` is a resource). */
  mounted: (name: string) => boolean;
  identity: IdentityLink;
  /** The hub's general limiter (token requests, registrations). */
  limiter: RateLimiter;
  signInLimiter: RateLimiter;
  /** The claims of an access token of this hub's authority, or null (for revocation). */
  readAccessToken: (token: string) => Promise<AccessTokenClaims | null>;
  /** How long a token's revocation standing is cached. */
  standingCacheMs: number;
  log: Logger;
  onRefused: () => void;
  now?: () => number;
}

export interface OAuthServer {
  router: express.Router;
  resources: HubResources;
  standing: TokenStanding;
  users: Users;
  store: OAuthStore;
  /** The browser's CSRF and session cookies, and password sign-in (the console signs in with them too). */
  browser: BrowserState;
  signIn: SignIn;
  grants: Grants;
  close(): Promise<void>;
}

type Handler = (req: Request, res: Response) => Promise<void>;
const run = (handler: Handler) => (req: Request, res: Response, next: NextFunction) => {
  handler(req, res).catch(next);
};

/**
 * The hub's OAuth 2.1 authorization server (hub/oauth/): metadata for the authorization server and each
 * resource, the consent page, the token, revocation and registration endpoints, the approved-clients page.
 */
export async function openOAuthServer(options: OAuthServerOptions): Promise<OAuthServer> {
  const { settings, publicUrl: issuer, log } = options;
  const now = options.now ?? Date.now;
  const store = await openOAuthStore(options);
  const vault = KeyVault.open(options.dataDir);
  const users = new Users({ store, vault, now });
  const resources = new HubResources(issuer, options.mounted);
  const standing = new TokenStanding(store, { ttlMs: options.standingCacheMs, log, now });
  const documents = settings.clientMetadataDocuments.enabled
    ? new MetadataDocuments(settings.clientMetadataDocuments, now)
    : null;
  const clients = new ClientDirectory({ configured: settings.clients, store, documents });
  const onRevoke = () => standing.forget();
  const grants = new Grants({
    store,
    users,
    identity: options.identity,
    resources,
    issuer,
    refreshTokenDays: settings.refreshTokenDays,
    now,
    onRevoke,
  });
  const browser = new BrowserState({
    store,
    users,
    csrfKey: vault.derive('csrf'),
    secure: issuer.startsWith('https:'),
    sessionMs: settings.sessionHours * 3_600_000,
    now,
  });
  const signIn = new SignIn(users, options.signInLimiter);
  const form = express.urlencoded({ extended: false, limit: '64kb', parameterLimit: 50 });
  const authorizeDeps = { issuer, clients, resources, browser, grants, signIn, log };
  const pageDeps = { store, browser, grants, signIn, now };

  const router = express.Router();
  router.use((req, res, next) => {
    if (!isPublicOAuthPath(req.path)) return next();
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.setHeader('Access-Control-Expose-Headers', 'WWW-Authenticate, Retry-After');
    if (req.method !== 'OPTIONS') return next();
    res.setHeader('Access-Control-Allow-Methods', 'GET, POST, OPTIONS');
    res.setHeader('Access-Control-Allow-Headers', 'Authorization, Content-Type, MCP-Protocol-Version');
    res.setHeader('Access-Control-Max-Age', '600');
    res.status(204).end();
  });

  const asMetadata = authorizationServerMetadata(issuer, {
    registration: settings.dynamicRegistration.enabled,
    metadataDocuments: settings.clientMetadataDocuments.enabled,
  });
  router.get('/.well-known/oauth-authorization-server', (_req, res) => {
    res.setHeader('Cache-Control', 'public, max-age=300');
    res.json(asMetadata);
  });
  router.get('/.well-known/oauth-protected-resource', (_req, res) => {
    res.json(protectedResourceMetadata(resources, null));
  });
  router.get(/^\/\.well-known\/oauth-protected-resource\/mcp(?:\/((?:v\/)?[^/]+))?$/, (req, res) => {
    const view = (req.params as Record<string, string | undefined>)[0] ?? null;
    if (view !== null && !options.mounted(view)) {
      res
        .status(404)
        .json({ error: 'not_found', error_description: `no server named '${view}' is mounted here` });
      return;
    }
    res.json(protectedResourceMetadata(resources, view));
  });
  router.get(
    '/oauth/jwks.json',
    run(async (_req, res) => {
      res.setHeader('Cache-Control', 'public, max-age=300');
      res.json(await options.identity.jwks());
    }),
  );
  router.get(STYLESHEET_PATH, (_req, res) => {
    res.setHeader('Cache-Control', 'public, max-age=3600');
    res.type('css').send(STYLESHEET);
  });

  router.get(
    '/oauth/authorize',
    run((req, res) => showAuthorization(req, res, authorizeDeps)),
  );
  router.post(
    '/oauth/authorize',
    form,
    run((req, res) => decideAuthorization(req, res, authorizeDeps)),
  );
  router.post(
    '/oauth/token',
    form,
    run((req, res) =>
      tokenEndpoint(req, res, {
        clients,
        grants,
        identity: options.identity,
        resources,
        limiter: options.limiter,
        onRefused: options.onRefused,
      }),
    ),
  );
  router.post(
    '/oauth/revoke',
    form,
    run((req, res) =>
      revokeEndpoint(req, res, {
        clients,
        grants,
        store,
        readAccessToken: options.readAccessToken,
        onRevoke,
      }),
    ),
  );
  if (settings.dynamicRegistration.enabled) {
    router.post(
      '/oauth/register',
      express.json({ limit: '16kb' }),
      run((req, res) =>
        registerEndpoint(req, res, {
          store,
          limiter: options.limiter,
          maxClients: settings.dynamicRegistration.maxClients,
          now,
        }),
      ),
    );
  }
  router.get(
    '/oauth/clients',
    run((req, res) => showClients(req, res, pageDeps)),
  );
  router.post(
    '/oauth/signin',
    form,
    run((req, res) => signInToClients(req, res, pageDeps)),
  );
  router.post(
    '/oauth/clients/revoke',
    form,
    run((req, res) => revokeClient(req, res, pageDeps)),
  );
  router.post(
    '/oauth/signout',
    form,
    run((req, res) => signOut(req, res, pageDeps)),
  );

  // Users added while the hub was down are registered with identity now, not at their first sign-in.
  const registering = (async () => {
    for (const user of await users.list()) await users.ensureRegistered(user, options.identity);
  })().catch((error: unknown) => log.warn({ err: error }, 'registering hub users with identity failed'));

  const purge = setInterval(() => {
    store.purgeExpired(now()).catch((error: unknown) => log.warn({ err: error }, 'oauth purge failed'));
  }, 600_000);
  purge.unref();

  return {
    router,
    resources,
    standing,
    users,
    store,
    browser,
    signIn,
    grants,
    async close() {
      clearInterval(purge);
      await registering;
      await store.close();
    },
  };
}
