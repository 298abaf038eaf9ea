import { createHash, timingSafeEqual } from 'node:crypto';
import { DID_KEY_PATTERN } from '../../schemas/common.ts';
import { isMetadataDocumentUrl, type MetadataDocuments } from './client-metadata.ts';
import type { ConfiguredClient } from './settings.ts';
import type { OAuthStore } from './store.ts';

/** Where the hub knows a client from, shown on the consent page so people can judge it. */
export type ClientKind = 'configured' | 'registered' | 'metadata-document' | 'agent';

export type ClientAuthMethod = 'none' | 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt';

export interface OAuthClient {
  clientId: string;
  name: string;
  kind: ClientKind;
  redirectUris: string[];
  grantTypes: string[];
  authMethod: ClientAuthMethod;
  /** Hex SHA-256 of the client secret (confidential clients). */
  secretHash: string | null;
  /** For a configured machine client: the hub user its tokens speak for. */
  user: string | null;
  /** The most its tokens may carry; null: only the signed-in user's scopes limit them. */
  scopes: string[] | null;
}

export function secretHash(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** Whether `presented` is the secret whose hash is `hash`, in constant time. */
export function secretMatches(presented: string, hash: string | null): boolean {
  if (hash === null) return false;
  return timingSafeEqual(Buffer.from(secretHash(presented), 'hex'), Buffer.from(hash, 'hex'));
}

function fromConfig(clientId: string, c: ConfiguredClient): OAuthClient {
  return {
    clientId,
    name: c.name,
    kind: 'configured',
    redirectUris: c.redirectUris,
    grantTypes: c.grantTypes,
    authMethod: c.secretSha256 ? 'client_secret_basic' : 'none',
    secretHash: c.secretSha256 ?? null,
    user: c.user ?? null,
    scopes: c.scopes,
  };
}

/**
 * Every client the hub knows, by client_id: configured in plexus.json first, then agents (a did:key that
 * authenticates with private_key_jwt), client metadata documents (an https URL), and clients registered
 * dynamically. Null for an unknown one; a metadata document that cannot be used throws, naming why.
 */
export class ClientDirectory {
  readonly #configured: Readonly<Record<string, ConfiguredClient>>;
  readonly #store: OAuthStore;
  readonly #documents: MetadataDocuments | null;

  constructor(deps: {
    configured: Readonly<Record<string, ConfiguredClient>>;
    store: OAuthStore;
    documents: MetadataDocuments | null;
  }) {
    this.#configured = deps.configured;
    this.#store = deps.store;
    this.#documents = deps.documents;
  }

  async find(clientId: string): Promise<OAuthClient | null> {
    const configured = this.#configured[clientId];
    if (configured) return fromConfig(clientId, configured);
    if (DID_KEY_PATTERN.test(clientId)) {
      return {
        clientId,
        name: clientId,
        kind: 'agent',
        redirectUris: [],
        grantTypes: ['client_credentials'],
        authMethod: 'private_key_jwt',
        secretHash: null,
        user: null,
        scopes: null,
      };
    }
    if (isMetadataDocumentUrl(clientId)) {
      if (!this.#documents) return null;
      const document = await this.#documents.get(clientId);
      return {
        clientId,
        name: document.client_name,
        kind: 'metadata-document',
        redirectUris: document.redirect_uris,
        grantTypes: document.grant_types ?? ['authorization_code'],
        authMethod: 'none',
        secretHash: null,
        user: null,
        scopes: null,
      };
    }
    const registered = await this.#store.getClient(clientId);
    if (!registered) return null;
    const m = registered.metadata as {
      client_name?: string;
      redirect_uris?: string[];
      grant_types?: string[];
      token_endpoint_auth_method?: ClientAuthMethod;
    };
    return {
      clientId,
      name: m.client_name ?? 'Unnamed client',
      kind: 'registered',
      redirectUris: m.redirect_uris ?? [],
      grantTypes: m.grant_types ?? ['authorization_code'],
      authMethod: m.token_endpoint_auth_method ?? 'client_secret_basic',
      secretHash: registered.secretHash,
      user: null,
      scopes: null,
    };
  }
}
