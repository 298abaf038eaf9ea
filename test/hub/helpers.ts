import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import type { ClientOptions } from '@modelcontextprotocol/client';
import { createClientAssertion, CLIENT_ASSERTION_TYPE } from '../../lib/auth/client-assertion.ts';
import type { IdentityKeys } from '../../lib/crypto/identity-keys.ts';
import { silentLogger } from '../../lib/log.ts';
import type { ComponentFactory } from '../../lib/mcp/component.ts';
import { parseHubConfig } from '../../hub/config.ts';
import { startHub, type RunningHub } from '../../hub/hub.ts';
import { createConformanceComponent } from '../fixtures/conformance-server.ts';

export const FIXTURE_SCRIPT = path.resolve(import.meta.dirname, '../fixtures/conformance-server.ts');
const LATE_FIXTURE_SCRIPT = path.resolve(import.meta.dirname, '../fixtures/late-stdio-server.ts');

/** A fixture component factory, for `components`. */
export const fixtureFactory: ComponentFactory = () => Promise.resolve(createConformanceComponent());

export function tempDir(t: TestContext): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plexus-hub-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Starts a hub on port 0 with `config` (raw plexus.json content) and closes it after the test. */
export async function startTestHub(
  t: TestContext,
  config: Record<string, unknown>,
  options: { components?: Record<string, ComponentFactory>; catalogDefaults?: boolean } = {},
): Promise<RunningHub> {
  const dataDir = tempDir(t);
  const parsed = parseHubConfig({ port: 0, dataDir, ...config });
  let hub: RunningHub | null = null;
  t.after(async () => {
    await hub?.close();
  });
  hub = await startHub({
    config: parsed,
    log: silentLogger,
    components: options.components ?? {},
    catalogDefaults: options.catalogDefaults ?? false,
  });
  return hub;
}

/** An SDK client over streamable HTTP (2025 era unless `era: 'modern'`), closed after the test. */
export async function connectClient(
  t: TestContext,
  url: string,
  options: { token?: string; capabilities?: ClientOptions['capabilities']; era?: 'modern' | 'legacy' } = {},
): Promise<Client> {
  const client = new Client(
    { name: 'hub-test', version: '1.0.0' },
    {
      capabilities: options.capabilities ?? {},
      ...(options.era === 'modern' ? { versionNegotiation: { mode: { pin: '2026-07-28' } } } : {}),
    },
  );
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    requestInit: options.token ? { headers: { Authorization: `Bearer ${options.token}` } } : {},
  });
  t.after(() => client.close());
  await client.connect(transport);
  return client;
}

/** An `mcpServers` entry running the fixture as a stdio child; `scheme` keeps its resource URIs apart. */
export function stdioFixtureEntry(
  scheme = 'kid',
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return { command: process.execPath, args: [FIXTURE_SCRIPT, '--stdio', '--scheme', scheme], ...extra };
}

/** An `mcpServers` entry running the fixture as a stdio child that says nothing until `goFile` exists. */
export function lateFixtureEntry(goFile: string, scheme = 'late'): Record<string, unknown> {
  return { command: process.execPath, args: [LATE_FIXTURE_SCRIPT, goFile, '--scheme', scheme] };
}

/** An `mcpServers` entry whose child never answers, nor ends when its stdin closes. */
export function muteEntry(): Record<string, unknown> {
  return { command: process.execPath, args: ['-e', 'setInterval(() => {}, 1e9)'] };
}

/**
 * A raw `initialize` with a bearer token, as any client's first request: the HTTP status, the
 * WWW-Authenticate challenge and the session id.
 */
export async function initializeWith(
  url: string,
  token: string,
): Promise<{ status: number; challenge: string; session: string }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      Accept: 'application/json, text/event-stream',
      Authorization: `Bearer ${token}`,
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
    }),
  });
  await response.body?.cancel();
  return {
    status: response.status,
    challenge: response.headers.get('www-authenticate') ?? '',
    session: response.headers.get('mcp-session-id') ?? '',
  };
}

/**
 * One raw 2026-07-28 request, as a client that declares `capabilities` sends it (headers included, with
 * `headers` added): the HTTP status and the JSON-RPC response, whether it came as JSON or on an SSE stream.
 */
export async function modernRequest(
  url: string,
  message: { method: string; params?: Record<string, unknown> },
  options: {
    token?: string;
    capabilities?: Record<string, unknown>;
    headers?: Record<string, string>;
    /** More `_meta` keys (a progress token, a claimed caller). */
    meta?: Record<string, unknown>;
    /** Aborts the request (the client goes away). */
    signal?: AbortSignal;
  } = {},
): Promise<{
  status: number;
  response: { result?: Record<string, unknown>; error?: { code: number; data?: unknown } };
  /** The body as it came (an SSE stream's every event). */
  body: string;
}> {
  const name = message.params?.['name'] ?? message.params?.['taskId'];
  const reply = await fetch(url, {
    ...(options.signal ? { signal: options.signal } : {}),
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      Accept: 'application/json, text/event-stream',
      'MCP-Protocol-Version': '2026-07-28',
      'Mcp-Method': message.method,
      ...(typeof name === 'string' ? { 'Mcp-Name': name } : {}),
      ...(options.token ? { Authorization: `Bearer ${options.token}` } : {}),
      ...options.headers,
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: message.method,
      params: {
        ...message.params,
        _meta: {
          'io.modelcontextprotocol/protocolVersion': '2026-07-28',
          'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '1' },
          'io.modelcontextprotocol/clientCapabilities': options.capabilities ?? {},
          ...options.meta,
        },
      },
    }),
  });
  const text = await reply.text();
  const data = text.startsWith('{') ? text : /^data: (.*"id":1\b.*)$/m.exec(text)?.[1];
  return { status: reply.status, response: JSON.parse(data ?? '{}') as never, body: text };
}

/** The hub's token endpoint asked for a token of `agent` (client credentials, private_key_jwt) with `scope`. */
export async function requestAgentToken(
  hubUrl: string,
  agent: IdentityKeys,
  scope: string,
): Promise<Response> {
  const endpoint = `${hubUrl}/oauth/token`;
  const assertion = { did: agent.did, secretKey: agent.signing.secretKey, audience: endpoint };
  return fetch(endpoint, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: agent.did,
      client_assertion_type: CLIENT_ASSERTION_TYPE,
      client_assertion: await createClientAssertion(assertion),
      scope,
    }),
  });
}
