import type { Logger } from '../../lib/log.ts';
import type { IdentitySettings } from '../../schemas/identity/settings.ts';
import { Challenges } from './domain/challenges.ts';
import type { PublishEvent } from './domain/events.ts';
import { IdentityService } from './domain/identities.ts';
import type { IdentityStore } from './domain/store.ts';
import { TokenAuthority, loadAuthorityKey } from './domain/tokens.ts';
import { TrustService } from './domain/trust.ts';
import type { IdentityToolDeps } from './tools/deps.ts';

const DAY_MS = 86_400_000;

/** Wires the domain services over one store; the authority key is created on first use and kept in the store. */
export async function createIdentityServices(options: {
  store: IdentityStore;
  settings: IdentitySettings;
  now: () => number;
  log: Logger;
  publish?: PublishEvent;
}): Promise<IdentityToolDeps> {
  const { store, settings, now, log } = options;
  const identities = new IdentityService({ store, now, settings, publish: options.publish ?? (() => {}) });
  return {
    log,
    identities,
    challenges: new Challenges({ store, identities, now, ttlSeconds: settings.challengeTtlSeconds }),
    tokens: new TokenAuthority({
      store,
      identities,
      settings,
      now,
      authority: await loadAuthorityKey(store, now()),
    }),
    trust: new TrustService({
      store,
      identities,
      now,
      params: {
        halfLifeMs: settings.trust.halfLifeDays * DAY_MS,
        authorityBelief: settings.trust.authorityBelief,
      },
    }),
  };
}
