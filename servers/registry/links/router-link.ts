import type { Logger } from '../../../lib/log.ts';
import type { Envelope } from '../../../schemas/envelope.ts';
import type { EventSink, Messenger } from '../domain/ports.ts';
import type { SiblingLink } from './sibling.ts';

/**
 * The router as event sink (`publish_event`) and messenger (`send_message`, sent as the registry's own DID
 * through delegation, since the router requires sender = caller). Both are best-effort: the registry's state
 * is the record, and agents can always list_tasks.
 */
export class RouterLink implements EventSink, Messenger {
  readonly #link: SiblingLink;
  readonly #serviceDid: string;
  readonly #log: Logger;

  constructor(link: SiblingLink, serviceDid: string, log: Logger) {
    this.#link = link;
    this.#serviceDid = serviceDid;
    this.#log = log;
  }

  async publish(type: string, subject: string, data: Record<string, unknown>): Promise<void> {
    try {
      await this.#link.call('publish_event', { type, subject, data });
    } catch (error) {
      this.#log.warn({ err: error, type, subject }, 'event not published');
    }
  }

  async send(envelope: Envelope): Promise<boolean> {
    try {
      const sent = await this.#link.call(
        'send_message',
        { envelope },
        { subject: this.#serviceDid, scopes: ['write'] },
      );
      return sent !== null;
    } catch (error) {
      this.#log.warn({ err: error, id: envelope.id, recipient: envelope.recipient }, 'envelope not sent');
      return false;
    }
  }
}
