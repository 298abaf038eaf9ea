// Shared set-up for the registry's tests: the registry composed in-process with the real router (and the
// real identity server when asked), a controllable clock, agent identities with signed cards, and SDK
// clients authenticated as those agents.
import assert from 'node:assert/strict';
import type { Client } from '@modelcontextprotocol/client';
import type { TestContext } from 'node:test';
import { generateIdentityKeys, type IdentityKeys } from '../../lib/crypto/identity-keys.ts';
import { signObject } from '../../lib/crypto/signed-object.ts';
import { silentLogger } from '../../lib/log.ts';
import type { ComponentFactory, CoreServerName } from '../../lib/mcp/component.ts';
import { authInfoFor } from '../../lib/mcp/in-process.ts';
import { toolErrorOf } from '../../lib/mcp/result.ts';
import { composeInProcess, type LocalComposition } from '../../lib/mcp/local-composition.ts';
import type { AgentCard } from '../../schemas/agent-card.ts';
import { component as identityComponent } from '../identity/component.ts';
import { component as routerComponent } from '../router/component.ts';
import { component, type RegistryComponent } from './component.ts';

import { T0, testClock, tempDir, type Clock } from '../../test/helpers/fixtures.ts';

export { T0, testClock, tempDir, type Clock };

/** Small intervals so tests read easily: stale after 2 s of silence, offline after 5 s. */
export const TEST_SETTINGS = { heartbeatIntervalMs: 1000, staleAfterMissed: 2, offlineAfterMissed: 5 };

export interface RegistryHarness {
  clock: Clock;
  composition: LocalComposition;
  registry: RegistryComponent;
  /** A new registry session as `did`. */
  connect(did: string, scopes?: string[]): Promise<Client>;
  /** A new router session as `did`. */
  router(did: string, scopes?: string[]): Promise<Client>;
  /** A session to a sibling as the hub (delegate + admin). */
  asHub(name: CoreServerName): Promise<Client>;
}

export async function startRegistry(
  t: TestContext,
  options: {
    router?: boolean;
    identity?: boolean;
    clock?: Clock;
    settings?: Record<string, unknown>;
    dataDir?: string;
    databaseUrl?: string;
  } = {},
): Promise<RegistryHarness> {
  const clock = options.clock ?? testClock();
  const factories: Partial<Record<CoreServerName, ComponentFactory>> = {};
  if (options.router ?? true) factories.router = routerComponent;
  if (options.identity) factories.identity = identityComponent;
  factories.registry = component;
  const composition = await composeInProcess(factories, {
    dataDir: options.dataDir ?? tempDir(t),
    databaseUrl: options.databaseUrl,
    log: silentLogger,
    now: clock.now,
    settings: { registry: { ...TEST_SETTINGS, ...options.settings } },
  });
  t.after(() => composition.close());
  const registry = composition.components.get('registry') as RegistryComponent;
  return {
    clock,
    composition,
    registry,
    connect: (did, scopes = ['read', 'write']) => composition.connect('registry', authInfoFor(did, scopes)),
    router: (did, scopes = ['read', 'write']) => composition.connect('router', authInfoFor(did, scopes)),
    asHub: (name) => composition.connect(name),
  };
}

export interface TestAgent {
  keys: IdentityKeys;
  did: string;
  card: AgentCard;
  client: Client;
}

export function signedCard(
  keys: IdentityKeys,
  fields: Partial<Omit<AgentCard, 'signature'>> = {},
  issuedAt = T0,
): AgentCard {
  return signObject<AgentCard>(
    {
      did: keys.did,
      name: 'agent',
      role: 'worker',
      capabilities: [],
      endpoints: {},
      keyAgreement: keys.keyAgreementMultibase,
      version: 1,
      issuedAt,
      ...fields,
    },
    keys.signing.secretKey,
  );
}

/** A fresh identity, registered with the given card fields, with a registry client as itself. */
export async function registeredAgent(
  h: RegistryHarness,
  fields: Partial<Omit<AgentCard, 'signature'>> = {},
): Promise<TestAgent> {
  const keys = generateIdentityKeys();
  const card = signedCard(keys, fields, h.clock.now());
  const client = await h.connect(keys.did);
  await call(client, 'register_agent', { card });
  return { keys, did: keys.did, card, client };
}

/** Calls a tool and returns its structured content; fails the test on a tool error. */
export async function call<T = Record<string, unknown>>(
  client: Client,
  name: string,
  args: Record<string, unknown> = {},
): Promise<T> {
  const result = await client.callTool({ name, arguments: args });
  const error = toolErrorOf(result);
  if (error) assert.fail(`${name} failed: [${error.code}] ${error.message}`);
  return result.structuredContent as T;
}

/** Calls a tool that must fail with a tool error; returns its code (`invalid_params` for malformed input). */
export async function callError(
  client: Client,
  name: string,
  args: Record<string, unknown> = {},
): Promise<string> {
  const result = await client.callTool({ name, arguments: args });
  const error = toolErrorOf(result);
  assert.ok(error, `${name} should have failed: ${JSON.stringify(result.structuredContent)}`);
  return error.code;
}

/** Calls a tool that must be refused as invalid input naming `field`. */
export async function callInvalid(
  client: Client,
  name: string,
  args: Record<string, unknown>,
  field: string,
): Promise<void> {
  const result = await client.callTool({ name, arguments: args });
  const error = toolErrorOf(result);
  assert.ok(error, `${name} should refuse the input: ${JSON.stringify(result.structuredContent)}`);
  // Schema failures come from the SDK (code invalid_params, field in the text); domain checks name it in `field`.
  assert.ok(error.field === field || error.message.includes(field), `${error.message} should name ${field}`);
}
