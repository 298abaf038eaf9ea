import type { Client } from '@modelcontextprotocol/client';
import { UnreachableError } from '../../../lib/clients/errors.ts';
import { routerClient } from '../../../lib/clients/router.ts';
import { PlexusError } from '../../../lib/errors.ts';
import type { Logger } from '../../../lib/log.ts';
import type { JsonValue } from '../../../schemas/common.ts';

export type PublishEvent = (type: string, subject: string, data: Record<string, JsonValue>) => void;

const CONNECT_TIMEOUT_MS = 5000;

/**
 * Publishes system events through the router's `publish_event`, best effort: identity works the same with no
 * router in the composition, and a failed publish is logged, never surfaced to the caller.
 */
export function routerEvents(
  connect: () => Promise<Client>,
  log: Logger,
): {
  publish: PublishEvent;
  /** Resolves when every publish started so far has finished (tests, shutdown). */
  settled(): Promise<void>;
} {
  let client: Promise<Client> | null = null;
  const pending = new Set<Promise<void>>();

  function link(): Promise<Client> {
    client ??= Promise.race([
      connect(),
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error('router connection timed out')), CONNECT_TIMEOUT_MS).unref(),
      ),
    ]);
    return client;
  }

  async function send(type: string, subject: string, data: Record<string, JsonValue>): Promise<void> {
    try {
      await routerClient(await link()).publishEvent({ type, subject, data });
    } catch (error) {
      // The router answered (a refusal): keep the link. Otherwise connect again next time.
      if (error instanceof PlexusError && !(error instanceof UnreachableError)) {
        log.warn({ err: error, type, subject }, 'event not published');
        return;
      }
      client = null;
      log.warn({ err: error, type, subject }, 'event not published: router unavailable');
    }
  }

  return {
    publish(type, subject, data) {
      const p = send(type, subject, data).finally(() => pending.delete(p));
      pending.add(p);
    },
    async settled() {
      await Promise.allSettled([...pending]);
    },
  };
}
