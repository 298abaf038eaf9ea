import type { Logger } from '../../lib/log.ts';
import type { Viewer } from './layout.ts';
import type { Network } from './network.ts';

/**
 * Every admin action, recorded in the network's event stream as `admin.<action>` (who — the signed-in user
 * and their DID —, what, when: the event's own time) and in the hub's log.
 */
export class Audit {
  readonly #network: Network;
  readonly #log: Logger;
  readonly #recorded: () => Promise<void>;

  /** `recorded` is awaited after each action: the page the action returns to shows it. */
  constructor(network: Network, log: Logger, recorded: () => Promise<void>) {
    this.#network = network;
    this.#log = log;
    this.#recorded = recorded;
  }

  async record(
    viewer: Viewer,
    action: string,
    subject: string,
    details: Record<string, string | number | boolean | string[]> = {},
  ): Promise<void> {
    const data = { actor: viewer.user.name, actor_did: viewer.user.did, ...details };
    this.#log.info({ action, subject, ...data }, 'console admin action');
    const router = this.#network.router;
    if (!router) return;
    try {
      await router.publishEvent({ type: `admin.${action}`, subject, data });
    } catch (error) {
      this.#log.error(
        { err: error, action, subject },
        'console: the admin action could not be recorded in the event stream',
      );
    }
    await this.#recorded();
  }
}
