import type { AuthInfo, FetchLike } from '@modelcontextprotocol/server';
import { createClientAssertion, verifyClientAssertion } from '../../lib/auth/client-assertion.ts';
import { ed25519FromDid } from '../../lib/crypto/multikey.ts';
import { PlexusError } from '../../lib/errors.ts';
import type { TokenVerifier } from '../../lib/mcp/serve-http.ts';
import type { LoadedIdentity } from '../../lib/identity/identity-file.ts';

/** Peers hold these scopes on an agent's endpoint: enough for deliver_message and ask, nothing else exists. */
export const PEER_SCOPES = ['read', 'write'];

export interface PeerVerifierOptions {
  /** The endpoint URL peers must name as the assertion's audience (the one in this agent's card). */
  audience: string;
  /** Throws when the DID must be refused (e.g. revoked); the signature alone proves key possession. */
  checkPeer?: (did: string) => Promise<void>;
  /**
   * The key the peer signs with now (its identity log's; `fresh`: ask again, after a signature that did
   * not verify). Default: the did:key's own key.
   */
  keyFor?: (did: string, fresh: boolean) => Promise<Uint8Array>;
  now?: () => number;
}

/**
 * Bearer tokens on an agent's endpoint are short-lived client assertions signed by the calling peer's DID,
 * one per request (each jti is accepted once), with the key `keyFor` gives (a peer that rotated since its
 * key was cached is asked for once more).
 */
export function peerTokenVerifier(options: PeerVerifierOptions): TokenVerifier {
  const now = options.now ?? Date.now;
  const keyFor = options.keyFor ?? ((did: string) => Promise.resolve(ed25519FromDid(did)));
  const seen = new Map<string, number>();
  const verify = (token: string, fresh: boolean) =>
    verifyClientAssertion(token, {
      audience: options.audience,
      now: now(),
      keyFor: (peer) => keyFor(peer, fresh),
      useJti: (peer, jti, expiresAt) => {
        if (seen.size > 1024) {
          // Expired assertions are refused by their exp anyway (skew included): forget their jtis.
          const horizon = now() - 60_000;
          for (const [key, expiry] of seen) if (expiry < horizon) seen.delete(key);
        }
        const key = `${peer} ${jti}`;
        if (seen.has(key)) return Promise.resolve(false);
        seen.set(key, expiresAt);
        return Promise.resolve(true);
      },
    });
  return async (token) => {
    let did: string;
    try {
      ({ did } = await verify(token, false));
    } catch (error) {
      if (!(error instanceof PlexusError) || error.code !== 'assertion_signature_invalid') throw error;
      ({ did } = await verify(token, true));
    }
    await options.checkPeer?.(did);
    return { token, clientId: did, scopes: PEER_SCOPES } satisfies AuthInfo;
  };
}

/**
 * A fetch that signs a fresh assertion for `audience` into every request, as peerTokenVerifier expects, and
 * hands the request to `send` (which decides where it connects).
 */
export function peerFetch(identity: LoadedIdentity, audience: string, send: FetchLike): FetchLike {
  return async (input, init) => {
    const headers = new Headers(init?.headers);
    const assertion = await createClientAssertion({
      did: identity.did,
      secretKey: identity.keys.signing.secretKey,
      audience,
    });
    headers.set('authorization', `Bearer ${assertion}`);
    return send(input, { ...init, headers });
  };
}
