// A real hub for the hub-facing suites: started in this process on port 0 with a fresh data directory, auth on
// (agents get tokens at /oauth/token with private_key_jwt, as in production), rate limits and per-identity
// caps lifted so the benchmark measures the hub and not its throttle.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { createClientAssertion, CLIENT_ASSERTION_TYPE } from '../lib/auth/client-assertion.ts';
import type { IdentityKeys } from '../lib/crypto/identity-keys.ts';
import { silentLogger } from '../lib/log.ts';
import { parseHubConfig } from '../hub/config.ts';
import { startHub, type RunningHub } from '../hub/hub.ts';

export interface BenchHub {
  hub: RunningHub;
  close(): Promise<void>;
}

/** Starts a hub; `config` is raw plexus.json content merged over the benchmark defaults. */
export async function startBenchHub(
  config: Record<string, unknown>,
  options: { catalogDefaults?: boolean } = {},
): Promise<BenchHub> {
  const dataDir = mkdtempSync(join(tmpdir(), 'plexus-bench-hub-'));
  try {
    const hub = await startHub({
      config: parseHubConfig({
        port: 0,
        dataDir,
        ...config,
        limits: {
          rateBurst: 1_000_000,
          ratePerSecond: 1_000_000,
          maxSessionsPerIdentity: 1_000_000,
          maxInFlightPerIdentity: 1_000_000,
          ...(config['limits'] as object),
        },
      }),
      log: silentLogger,
      catalogDefaults: options.catalogDefaults ?? true,
    });
    return {
      hub,
      close: async () => {
        await hub.close();
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
}

/** An access token for an agent identity, from the hub's token endpoint. */
export async function agentToken(hubUrl: string, keys: IdentityKeys, scope = 'read write'): Promise<string> {
  const response = await fetch(`${hubUrl}/oauth/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: keys.did,
      client_assertion_type: CLIENT_ASSERTION_TYPE,
      client_assertion: await createClientAssertion({
        did: keys.did,
        secretKey: keys.signing.secretKey,
        audience: `${hubUrl}/oauth/token`,
      }),
      scope,
    }),
  });
  if (!response.ok) throw new Error(`token for ${keys.did}: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { access_token: string }).access_token;
}

/** An SDK client over streamable HTTP (the transport opens its SSE GET stream after initialization). */
export async function connectHttp(url: string, token?: string): Promise<Client> {
  const client = new Client({ name: 'plexus-bench', version: '1.0.0' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(url), {
      requestInit: token ? { headers: { Authorization: `Bearer ${token}` } } : {},
    }),
  );
  return client;
}

/** Calls a tool whose answer the benchmark does not read; a tool error is a benchmark error. */
export async function callOk(client: Client, name: string, args: Record<string, unknown>): Promise<void> {
  const result = await client.callTool({ name, arguments: args });
  if (result.isError) throw new Error(`${name} failed: ${JSON.stringify(result)}`);
}
