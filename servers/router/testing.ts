// Shared set-up for the router's tests: a router component in a temp dir with a controllable clock, agent
// identities, and SDK clients authenticated as those agents.
import type { Client } from '@modelcontextprotocol/client';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { createEnvelope, type EnvelopeDraft } from '../../lib/crypto/envelope.ts';
import { generateIdentityKeys, type IdentityKeys } from '../../lib/crypto/identity-keys.ts';
import { silentLogger } from '../../lib/log.ts';
import { authInfoFor } from '../../lib/mcp/in-process.ts';
import { composeInProcess, type LocalComposition } from '../../lib/mcp/local-composition.ts';
import type { Envelope } from '../../schemas/envelope.ts';
import { INBOX_PAGE_META_KEY, InboxPageProgress } from '../../schemas/router/tools.ts';
import { component } from './component.ts';

import { T0, testClock, tempDir, type Clock } from '../../test/helpers/fixtures.ts';

export { T0, testClock, tempDir, type Clock };

export interface RouterHarness {
  dataDir: string;
  dbPath: string;
  clock: Clock;
  composition: LocalComposition;
  /** A new session to the router as `did` (default scopes read + write). */
  connect(did: string, scopes?: string[]): Promise<Client>;
  /** Stops the router (as if the process ended); the data dir stays. */
  stop(): Promise<void>;
}

/**
 * Starts the router component (no identity server: did:key only) on SQLite in `dataDir`, or on PostgreSQL
 * when `databaseUrl` is given; closed in t.after.
 */
export async function startRouter(
  t: TestContext,
  options: {
    dataDir?: string;
    databaseUrl?: string;
    redisUrl?: string;
    clock?: Clock;
    settings?: Record<string, unknown>;
  } = {},
): Promise<RouterHarness> {
  const dataDir = options.dataDir ?? tempDir(t);
  const clock = options.clock ?? testClock();
  const composition = await composeInProcess(
    { router: component },
    {
      dataDir,
      databaseUrl: options.databaseUrl,
      redisUrl: options.redisUrl,
      log: silentLogger,
      now: clock.now,
      settings: { router: options.settings ?? {} },
    },
  );
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await composition.close();
  };
  t.after(stop);
  return {
    dataDir,
    dbPath: join(dataDir, 'router.db'),
    clock,
    composition,
    connect: (did, scopes = ['read', 'write']) => composition.connect('router', authInfoFor(did, scopes)),
    stop,
  };
}

export function agent(): IdentityKeys {
  return generateIdentityKeys();
}

/** A signed envelope from `from`, made at the harness clock's time. */
export function envelopeFrom(
  from: IdentityKeys,
  clock: Clock,
  draft: Partial<EnvelopeDraft> & { recipient: string },
): Envelope {
  return createEnvelope(
    { did: from.did, secretKey: from.signing.secretKey },
    { type: 'chat/message', content: { text: 'hello' }, now: clock.now(), ...draft },
  );
}

/** Resolves with the next notifications/resources/updated for `uri` this client receives. */
export function nextUpdate(client: Client, uri: string): Promise<void> {
  return new Promise((resolve) => {
    client.setNotificationHandler('notifications/resources/updated', (notification) => {
      if (notification.params.uri === uri) resolve();
    });
  });
}

export function structured<T>(result: unknown): T {
  const r = result as { structuredContent?: unknown; isError?: boolean; content?: unknown };
  if (r.isError) throw new Error(`tool failed: ${JSON.stringify(r.content)}`);
  return r.structuredContent as T;
}

/** The pages a following receive_messages call sends (as `onprogress`), in order, and a wait for the next. */
export function streamedPages() {
  const pages: string[][] = [];
  let arrived = Promise.withResolvers<void>();
  return {
    pages,
    onprogress: (progress: Record<string, unknown>) => {
      const meta = progress['_meta'] as Record<string, unknown> | undefined;
      pages.push(InboxPageProgress.parse(meta?.[INBOX_PAGE_META_KEY]).messages.map((m) => String(m['id'])));
      arrived.resolve();
    },
    next: async (): Promise<string[]> => {
      await arrived.promise;
      arrived = Promise.withResolvers<void>();
      return pages.at(-1)!;
    },
  };
}
