import type { Client } from '@modelcontextprotocol/client';
import { ToolError } from '../../lib/clients/errors.ts';
import { identityClient } from '../../lib/clients/identity.ts';
import { ed25519FromDid } from '../../lib/crypto/multikey.ts';
import { PlexusError } from '../../lib/errors.ts';
import type { Logger } from '../../lib/log.ts';
import type { SenderKeys } from './domain/sender-keys.ts';

/**
 * Asks the identity server (`resolve_did`) for a sender's current key and revocation state. When the
 * identity server cannot be reached at all (not part of this composition, or down), the router stands on
 * did:key alone and tries again after `retryMs`; when it answers with an error other than "unknown DID",
 * the send fails as unavailable rather than skipping a revocation check it was asked to make.
 */
export function identityLookup(options: {
  connect: () => Promise<Client>;
  now: () => number;
  log: Logger;
  retryMs?: number;
}): { lookup: (did: string) => Promise<SenderKeys | null>; close(): Promise<void> } {
  const retryMs = options.retryMs ?? 30_000;
  let client: Promise<Client> | null = null;
  let unreachableUntil = 0;

  async function connected(): Promise<Client | null> {
    if (options.now() < unreachableUntil) return null;
    client ??= options.connect();
    try {
      return await client;
    } catch (error) {
      client = null;
      unreachableUntil = options.now() + retryMs;
      options.log.warn(
        { err: error },
        'identity server unreachable: checking senders by did:key only (no revocation or rotation)',
      );
      return null;
    }
  }

  async function lookup(did: string): Promise<SenderKeys | null> {
    const client = await connected();
    if (!client) return null;
    try {
      const resolved = await identityClient(client).resolveDid({ did });
      return { keys: [ed25519FromDid(`did:key:${resolved.key}`)], revoked: resolved.revoked };
    } catch (error) {
      if (error instanceof ToolError && error.code === 'did_not_found') return null;
      if (!(error instanceof PlexusError)) throw error;
      throw new PlexusError(
        'unavailable',
        'identity_unavailable',
        `resolving ${did} failed: ${error.message}`,
        { hint: 'try again shortly' },
      );
    }
  }

  return {
    lookup,
    async close() {
      const open = client;
      client = null;
      if (open) await open.then((c) => c.close()).catch(() => {});
    },
  };
}
