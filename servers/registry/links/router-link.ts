import type { RouterClient } from '../../../lib/clients/router.ts';
import type { Logger } from '../../../lib/log.ts';
import type { JsonValue } from '../../../schemas/common.ts';
import type { Envelope } from '../../../schemas/envelope.ts';
import type { EventSink, Messenger } from '../domain/ports.ts';
import type { SiblingLink } from '../../../lib/clients/sibling-link.ts';

/**
 * The router as event sink (`publish_event`) and messenger (`send_message`, sent as the registry's own DID
 * through delegation, since the router requires sender = caller). Both are best-effort: the registry's state
 * is the record, and agents can always list_tasks.
 */
export class RouterLink implements EventSink, Messenger {
  readonly #link: SiblingLink<RouterClient>;
  readonly #serviceDid: string;
  readonly #log: Logger;

  constructor(link: SiblingLink<RouterClient>, serviceDid: string, log: Logger) {
    this.#link = link;
    this.#serviceDid = serviceDid;
    this.#log = log;
  }

  async publish(type: string, subject: string, data: Record<string, JsonValue>): Promise<void> {
    try {
      await (await this.#link.client())?.publishEvent({ type, subject, data });
    } catch (error) {
      this.#log.warn({ err: error, type, subject }, 'event not published');
    }
  }

  async send(envelope: Envelope): Promise<boolean> {
    try {
      const router = await this.#link.client();
      if (!router) return false;
      await router.sendMessage({ envelope }, { caller: { subject: this.#serviceDid, scopes: ['write'] } });
      return true;
    } catch (error) {
      this.#log.warn({ err: error, id: envelope.id, recipient: envelope.recipient }, 'envelope not sent');
      return false;
    }
  }
}
