import type { Logger } from '../../lib/log.ts';
import type { Aggregator } from '../aggregate/aggregator.ts';
import type { ExternalServerEntry, HubConfig } from '../config.ts';
import type { RevocationCache } from '../gateway/revocation.ts';
import type { IdentityLink } from '../identity-link.ts';
import type { OAuthServer } from '../oauth/router.ts';
import type { Audit } from './audit.ts';
import type { LiveState } from './live.ts';
import type { Network } from './network.ts';
import type { ConsoleSettings } from './settings.ts';

/** What the console's pages and admin actions work with. */
export interface ConsoleDeps {
  aggregator: Aggregator;
  config: HubConfig;
  settings: ConsoleSettings;
  live: LiveState;
  network: Network;
  audit: Audit;
  oauth: OAuthServer;
  identity: IdentityLink;
  /** This hub's gateway's view of revoked DIDs, told at once of a revocation made here. */
  revocations: RevocationCache;
  publicUrl: string;
  log: Logger;
  now: () => number;
  /** Mounts an MCP server by URL or command while the hub runs (it joins the views once it is up). */
  mountServer(name: string, entry: ExternalServerEntry): Promise<void>;
}
