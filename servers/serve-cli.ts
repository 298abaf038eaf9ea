import { addAbortListener } from 'node:events';
import path from 'node:path';
import type { AuthInfo } from '@modelcontextprotocol/server';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { verifyAccessToken, type Jwks } from '../lib/auth/access-token.ts';
import { identityClient } from '../lib/clients/identity.ts';
import { createLogger, type Logger } from '../lib/log.ts';
import type { Component, CoreServerName, ServerContext } from '../lib/mcp/component.ts';
import { connectInProcess } from '../lib/mcp/in-process.ts';
import { serviceAuthInfo } from '../lib/mcp/local-composition.ts';
import { localUserAuth, serveHttp, type TokenVerifier } from '../lib/mcp/serve-http.ts';
import { localUser, type LocalUser } from '../lib/identity/local-user.ts';
import { ensurePersonRegistered } from '../lib/identity/person.ts';
import { serveStdio } from '../lib/mcp/serve-stdio.ts';
import { catalogNames, loadServer } from './catalog.ts';
import { withTokenEndpoints } from './identity/component.ts';
import { llmSettingsWithEnv } from './llm/component.ts';
import { assertionAudiences, publicUrlProblem } from '../lib/auth/public-url.ts';
import { webSettingsWithEnv } from './web/component.ts';
import { serviceHeaders, serviceTokenFrom, withServiceToken } from '../lib/auth/service-token.ts';

const USAGE = `usage: plexus serve <name> [--stdio | --port N] [--host H] [--data DIR]
                    [--sibling NAME=URL …] [--sibling-header "Name: value"]
                    [--jwks URL] [--issuer ISS] [--audience AUD] [--no-auth]
                    [server-specific options]

Runs one server alone. --stdio (the default) speaks MCP on stdin/stdout for the local user (the process that
started it is trusted): a did:key person identity created on first use in the data dir (local-user.json). --port serves streamable HTTP at http://<host>:<port>/mcp with bearer tokens
checked against a JWKS (--jwks URL, e.g. a hub's /oauth/jwks.json; without it, the identity keys in --data).
PLEXUS_SERVICE_TOKEN (shared with the hub) is accepted as the hub's delegate credential and sent to remote
siblings; PLEXUS_ALLOWED_HOSTS (comma-separated) adds Host names to accept; PLEXUS_PUBLIC_URL (the hub's
public URL) tells identity which client assertion audiences to accept (PLEXUS_TOKEN_ENDPOINTS adds more).
PLEXUS_DATABASE_URL / PLEXUS_REDIS_URL select PostgreSQL / Redis.
Siblings a server calls (e.g. registry → router, identity) run in this process over the same data dir
unless --sibling points at a running one.

servers: ${catalogNames().join(', ')}`;

interface ServeOptions {
  name: string;
  mode: 'stdio' | 'http';
  host: string;
  port: number;
  dataDir: string;
  siblings: Map<string, string>;
  siblingHeaders: Record<string, string>;
  jwks: string | undefined;
  issuer: string;
  audience: string;
  noAuth: boolean;
  serviceToken: string | undefined;
  serverArgs: string[];
}

function takeValue(argv: string[], i: number, flag: string): string {
  const value = argv[i + 1];
  if (value === undefined || value.startsWith('--')) throw new Error(`${flag} needs a value`);
  return value;
}

/** Our own flags; everything else is the server's (settingsFromArgs). */
export function parseServeArgs(
  argv: string[],
  env: Readonly<Record<string, string | undefined>>,
): ServeOptions {
  const [name, ...rest] = argv;
  if (!name || name.startsWith('-')) throw new Error('name the server to run');
  const options: ServeOptions = {
    name,
    mode: 'stdio',
    host: '127.0.0.1',
    port: 0,
    dataDir: path.resolve(env['PLEXUS_DATA'] ?? './data'),
    siblings: new Map(),
    siblingHeaders: {},
    jwks: undefined,
    issuer: 'urn:plexus:identity',
    audience: 'plexus',
    noAuth: false,
    serviceToken: serviceTokenFrom(env['PLEXUS_SERVICE_TOKEN']),
    serverArgs: [],
  };
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i] as string;
    switch (arg) {
      case '--stdio':
        options.mode = 'stdio';
        break;
      case '--port': {
        const value = takeValue(rest, i++, arg);
        if (!/^\d+$/.test(value) || Number(value) > 65535)
          throw new Error(`--port: '${value}' is not a port number`);
        options.mode = 'http';
        options.port = Number(value);
        break;
      }
      case '--host':
        options.host = takeValue(rest, i++, arg);
        break;
      case '--data':
        options.dataDir = path.resolve(takeValue(rest, i++, arg));
        break;
      case '--sibling': {
        const value = takeValue(rest, i++, arg);
        const eq = value.indexOf('=');
        if (eq <= 0) throw new Error(`--sibling: expected NAME=URL, got '${value}'`);
        const url = value.slice(eq + 1);
        if (!URL.canParse(url)) throw new Error(`--sibling ${value.slice(0, eq)}: '${url}' is not a URL`);
        options.siblings.set(value.slice(0, eq), url);
        break;
      }
      case '--sibling-header': {
        const value = takeValue(rest, i++, arg);
        const colon = value.indexOf(':');
        if (colon <= 0) throw new Error(`--sibling-header: expected "Name: value", got '${value}'`);
        options.siblingHeaders[value.slice(0, colon).trim()] = value.slice(colon + 1).trim();
        break;
      }
      case '--jwks':
        options.jwks = takeValue(rest, i++, arg);
        break;
      case '--issuer':
        options.issuer = takeValue(rest, i++, arg);
        break;
      case '--audience':
        options.audience = takeValue(rest, i++, arg);
        break;
      case '--no-auth':
        options.noAuth = true;
        break;
      default:
        options.serverArgs.push(arg);
    }
  }
  return options;
}

/**
 * The server and, on demand, the siblings it connects to: remote ones by URL, the others started in this
 * process the first time they are needed.
 */
class LocalServers {
  readonly #started = new Map<string, Promise<Component>>();
  readonly #clients = new Set<Client>();
  readonly #options: ServeOptions;
  readonly #log: Logger;
  readonly #user: LocalUser | null;

  /** With `user`, an identity server started here registers the local user's DID (best effort). */
  constructor(options: ServeOptions, log: Logger, user: LocalUser | null = null) {
    this.#options = options;
    this.#log = log;
    this.#user = user;
  }

  async #registerUser(identity: Component, user: LocalUser): Promise<void> {
    const client = await connectInProcess(identity.createServer(), { authInfo: serviceAuthInfo('serve') });
    try {
      if (await ensurePersonRegistered(identityClient(client), user.keys, user.name, Date.now()))
        this.#log.info({ did: user.did }, 'registered the local user with identity');
    } catch (error) {
      this.#log.warn({ err: error, did: user.did }, 'could not register the local user with identity');
    } finally {
      await client.close();
    }
  }

  start(name: string, serverArgs: string[] = [], signal?: AbortSignal): Promise<Component> {
    let started = this.#started.get(name);
    if (!started) {
      started = (async () => {
        const mod = await loadServer(name);
        let settings =
          mod.settingsFromArgs && serverArgs.length ? mod.settingsFromArgs(serverArgs) : undefined;
        // As in the hub: the llm server finds Ollama through OLLAMA_HOST.
        if (name === 'llm') settings = llmSettingsWithEnv(settings, process.env);
        if (name === 'web') settings = webSettingsWithEnv(settings, process.env);
        // Scaled out, identity sits behind hub replicas: accept assertions addressed to their token endpoints.
        if (name === 'identity') settings = identitySettingsWithEnv(settings, process.env);
        const ctx: ServerContext = {
          dataDir: this.#options.dataDir,
          databaseUrl: process.env['PLEXUS_DATABASE_URL'],
          redisUrl: process.env['PLEXUS_REDIS_URL'],
          log: this.#log.child({ server: name }),
          now: Date.now,
          settings,
          connect: (sibling: CoreServerName) => this.connect(name, sibling),
          signal,
        };
        const component = await mod.component(ctx);
        if (name === 'identity' && this.#user) await this.#registerUser(component, this.#user);
        return component;
      })();
      this.#started.set(name, started);
    }
    return started;
  }

  async connect(self: string, sibling: string): Promise<Client> {
    const url = this.#options.siblings.get(sibling);
    let client: Client;
    if (url) {
      client = new Client({ name: `plexus-${self}-link`, version: '0.1.0' });
      await client.connect(
        new StreamableHTTPClientTransport(new URL(url), {
          requestInit: {
            headers: serviceHeaders(this.#options.siblingHeaders, this.#options.serviceToken),
          },
        }),
      );
    } else {
      const component = await this.start(sibling);
      client = await connectInProcess(component.createServer(), { authInfo: serviceAuthInfo(self) });
    }
    this.#clients.add(client);
    return client;
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.#clients].map((c) => c.close()));
    for (const started of [...this.#started.values()].reverse()) {
      await started.then((c) => c.close()).catch(() => {});
    }
  }
}

/**
 * Identity behind hub replicas accepts client assertions addressed to the hub's public URL
 * (`PLEXUS_PUBLIC_URL`: its issuer URL and token endpoint) and to any `PLEXUS_TOKEN_ENDPOINTS`.
 */
export function identitySettingsWithEnv(
  settings: unknown,
  env: Readonly<Record<string, string | undefined>>,
): unknown {
  const extra = (env['PLEXUS_TOKEN_ENDPOINTS'] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const url of extra) {
    if (!URL.canParse(url)) throw new Error(`PLEXUS_TOKEN_ENDPOINTS: '${url}' is not a URL`);
  }
  const publicUrl = env['PLEXUS_PUBLIC_URL'];
  if (publicUrl) {
    const problem = publicUrlProblem(publicUrl);
    if (problem) throw new Error(`PLEXUS_PUBLIC_URL: ${problem}`);
    extra.unshift(...assertionAudiences(publicUrl));
  }
  return withTokenEndpoints(settings, extra);
}

/** Bearer tokens checked against a JWKS fetched over HTTP, or the local identity's keys. */
function jwksVerifier(options: ServeOptions, servers: LocalServers): TokenVerifier {
  let cached: { keys: Jwks; at: number } | null = null;
  async function fetchKeys(): Promise<Jwks> {
    if (options.jwks) {
      const response = await fetch(options.jwks);
      if (!response.ok) throw new Error(`JWKS fetch failed: HTTP ${response.status}`);
      return (await response.json()) as Jwks;
    }
    const identity = await servers.connect('serve', 'identity');
    try {
      return await identityClient(identity).getJwks({});
    } finally {
      await identity.close();
    }
  }
  return async (token) => {
    const kid = (() => {
      try {
        return (
          JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString()) as { kid?: string }
        ).kid;
      } catch {
        return undefined;
      }
    })();
    const stale = !cached || Date.now() - cached.at > 300_000;
    const unknownKid =
      cached && !cached.keys.keys.some((k) => k.kid === kid) && Date.now() - cached.at > 10_000;
    if (stale || unknownKid) cached = { keys: await fetchKeys(), at: Date.now() };
    const claims = await verifyAccessToken(token, {
      keys: (cached as { keys: Jwks }).keys,
      issuer: options.issuer,
      audience: options.audience,
      now: Date.now(),
    });
    const auth: AuthInfo = {
      token,
      clientId: claims.subject,
      scopes: claims.scopes,
      expiresAt: Math.floor(claims.expiresAt / 1000),
    };
    return auth;
  };
}

export async function run(argv: string[]): Promise<number> {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h') {
    console.error(USAGE);
    return argv.length === 0 ? 2 : 0;
  }
  let options: ServeOptions;
  try {
    options = parseServeArgs(argv, process.env);
    if (!catalogNames().includes(options.name)) throw new Error(`unknown server '${options.name}'`);
  } catch (error) {
    console.error(`plexus serve: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const log = createLogger({
    name: `plexus-${options.name}`,
    level:
      (process.env['PLEXUS_LOG_LEVEL'] as 'info' | undefined) ?? (options.mode === 'stdio' ? 'warn' : 'info'),
  });
  let user: LocalUser | null = null;
  try {
    if (options.mode === 'stdio') user = localUser(options.dataDir);
  } catch (error) {
    console.error(`plexus serve ${options.name}: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
  const servers = new LocalServers(options, log, user);
  // In place before anything starts (a server may spawn children): a signal while starting stops that too,
  // and the process ends only once everything it started is closed.
  const stopping = new AbortController();
  const stop = () => stopping.abort();
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  try {
    return await serve(options, servers, log, stopping.signal, user);
  } finally {
    await servers.close();
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}

async function serve(
  options: ServeOptions,
  servers: LocalServers,
  log: Logger,
  stopping: AbortSignal,
  user: LocalUser | null,
): Promise<number> {
  let component: Component;
  try {
    component = await servers.start(options.name, options.serverArgs, stopping);
  } catch (error) {
    if (stopping.aborted) return 0;
    console.error(`plexus serve ${options.name}: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
  if (stopping.aborted) return 0;

  const serverInfo = { name: `plexus-${options.name}`, version: '0.1.0' };
  if (user) {
    addAbortListener(stopping, () => void process.stdin.destroy());
    await serveStdio(component, {}, serverInfo, localUserAuth(user.did));
    return 0;
  }

  let served;
  try {
    served = await serveHttp(component, {
      host: options.host,
      port: options.port,
      // Behind a container network the hub calls us by service name (Host: router:7402).
      allowedHosts: (process.env['PLEXUS_ALLOWED_HOSTS'] ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
      verifyToken: options.noAuth
        ? null
        : withServiceToken(options.serviceToken, jwksVerifier(options, servers)),
      serverInfo,
      log,
    });
  } catch (error) {
    console.error(`plexus serve ${options.name}: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
  console.error(
    `plexus serve ${options.name}: ${served.url}${options.noAuth ? ' (NO AUTH, loopback only)' : ''}`,
  );
  await new Promise<void>((resolve) => void addAbortListener(stopping, () => resolve()));
  await served.close();
  return 0;
}
