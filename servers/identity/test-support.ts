// Shared by the identity server's tests: a server over a temp SQLite store with a controllable clock, and
// builders for signed cards and statements.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { ProtocolError } from '@modelcontextprotocol/client';
import type { Client } from '@modelcontextprotocol/client';
import { generateIdentityKeys, type IdentityKeys } from '../../lib/crypto/identity-keys.ts';
import { signObject } from '../../lib/crypto/signed-object.ts';
import { buildAgentCard } from '../../lib/identity/identity-file.ts';
import { silentLogger } from '../../lib/log.ts';
import { authInfoFor, connectInProcess } from '../../lib/mcp/in-process.ts';
import { toolErrorOf } from '../../lib/mcp/result.ts';
import type { AgentCard } from '../../schemas/agent-card.ts';
import type { JsonValue } from '../../schemas/common.ts';
import { IdentitySettings } from '../../schemas/identity/settings.ts';
import { ed25519Multibase, keyCommitment } from '../../lib/identity/identity-log.ts';
import { openIdentityStoreSqlite } from './domain/store-sqlite.ts';
import type { IdentityStore } from './domain/store.ts';
import { buildServer } from './server.ts';
import { createIdentityServices } from './services.ts';
import type { IdentityToolDeps } from './tools/deps.ts';

export const T0 = 1_800_000_000_000;

export interface Harness {
  dir: string;
  store: IdentityStore;
  deps: IdentityToolDeps;
  clock: { now: number };
  events: { type: string; subject: string; data: Record<string, unknown> }[];
  connect(subject: string, scopes: string[]): Promise<Client>;
}

export async function startIdentity(
  t: TestContext,
  settings: Record<string, unknown> = {},
): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'plexus-'));
  const clients: Client[] = [];
  const store = openIdentityStoreSqlite(join(dir, 'identity.sqlite'));
  t.after(async () => {
    await Promise.allSettled(clients.map((c) => c.close()));
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const clock = { now: T0 };
  const events: Harness['events'] = [];
  const deps = await createIdentityServices({
    store,
    settings: IdentitySettings.parse(settings),
    now: () => clock.now,
    log: silentLogger,
    publish: (type, subject, data) => events.push({ type, subject, data }),
  });
  return {
    dir,
    store,
    deps,
    clock,
    events,
    async connect(subject, scopes) {
      const client = await connectInProcess(buildServer(deps), { authInfo: authInfoFor(subject, scopes) });
      clients.push(client);
      return client;
    },
  };
}

export function newAgent(): IdentityKeys {
  return generateIdentityKeys();
}

export function cardFor(
  keys: IdentityKeys,
  overrides: Partial<AgentCard> = {},
  secretKey = keys.signing.secretKey,
): AgentCard {
  return buildAgentCard(
    {
      did: keys.did,
      name: 'Agent',
      role: 'worker',
      capabilities: ['summarize'],
      endpoints: {},
      keyAgreement: keys.keyAgreementMultibase,
      version: 1,
      issuedAt: T0,
      ...overrides,
    },
    secretKey,
  );
}

export function rotationFor(
  did: string,
  head: { seq: number; hash: string },
  currentSecret: Uint8Array,
  next: IdentityKeys,
  options: { commitTo?: IdentityKeys; issuedAt?: number } = {},
): Record<string, JsonValue> {
  return signObject<Record<string, JsonValue>>(
    {
      type: 'plexus/key-rotation',
      did,
      seq: head.seq + 1,
      prev: head.hash,
      key: ed25519Multibase(next.signing.publicKey),
      keyAgreement: next.keyAgreementMultibase,
      ...(options.commitTo
        ? { nextKeyCommitment: keyCommitment(ed25519Multibase(options.commitTo.signing.publicKey)) }
        : {}),
      issuedAt: options.issuedAt ?? T0,
    },
    currentSecret,
  );
}

export function revocationFor(
  did: string,
  head: { seq: number; hash: string },
  currentSecret: Uint8Array,
): Record<string, JsonValue> {
  return signObject<Record<string, JsonValue>>(
    { type: 'plexus/revocation', did, seq: head.seq + 1, prev: head.hash, reason: 'key lost', issuedAt: T0 },
    currentSecret,
  );
}

/** Calls a tool that must succeed; returns its structured content. */
export async function ok<T = Record<string, unknown>>(
  client: Client,
  name: string,
  args: Record<string, unknown>,
): Promise<T> {
  const result = await client.callTool({ name, arguments: args });
  assert.ok(!result.isError, `${name} failed: ${JSON.stringify(result.content)}`);
  return result.structuredContent as T;
}

/** Calls a tool that must fail; returns its error code, or `invalid:<field>` for generic bad input. */
export async function failure(client: Client, name: string, args: Record<string, unknown>): Promise<string> {
  try {
    const result = await client.callTool({ name, arguments: args });
    assert.ok(result.isError, `${name} unexpectedly succeeded: ${JSON.stringify(result.structuredContent)}`);
    const info = toolErrorOf(result);
    // Generic input errors are reported as `invalid:<field>`; specific codes as themselves.
    return info?.code === 'invalid_input' && info.field ? `invalid:${info.field}` : (info?.code ?? 'unknown');
  } catch (error) {
    if (!(error instanceof ProtocolError)) throw error;
    const data = error.data as { code?: string } | undefined;
    return data?.code ?? `mcp_${error.code}`;
  }
}
