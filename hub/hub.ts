import { hkdfSync, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import type { Logger } from '../lib/log.ts';
import type { Scope } from '../lib/mcp/caller.ts';
import type { ComponentFactory } from '../lib/mcp/component.ts';
import { serviceAuthInfo } from '../lib/mcp/local-composition.ts';
import { closeServer, listen } from '../lib/mcp/serve-http.ts';
import { privateDir, privateFile } from '../lib/store/private-files.ts';
import { assertionAudiences, canonicalPublicUrl } from '../lib/auth/public-url.ts';
import { serviceHeaders } from '../lib/auth/service-token.ts';
import { SERVER_CATALOG } from '../servers/catalog.ts';
import { withTokenEndpoints } from '../servers/identity/component.ts';
import { IdentitySettings } from '../schemas/identity/settings.ts';
import { Aggregator, Mount } from './aggregate/aggregator.ts';
import { countAgents } from './agent-counts.ts';
import type express from 'express';
import { virtualView } from './aggregate/tool-sets.ts';
import { applySettings } from './console/apply.ts';
import { Audit } from './console/audit.ts';
import { carryRevocations } from './console/carried-revocations.ts';
import { LiveState } from './console/live.ts';
import { Network } from './console/network.ts';
import { consoleRouter } from './console/router.ts';
import { followSettings } from './console/follow.ts';
import { ConsoleSettings } from './console/settings.ts';
import { compose, type Composition, type Placement } from './compose.ts';
import { isLoopbackHost, type ExternalServerEntry, type HubConfig } from './config.ts';
import { JwksCache, jwksTokenReader, jwksTokenVerifier } from './gateway/auth.ts';
import { RevocationCache } from './gateway/revocation.ts';
import { MemoryRateLimiter, type RateLimiter } from '../lib/rate-limit.ts';
import { FallbackRateLimiter } from './gateway/rate-limit-fallback.ts';
import { createHttpFront } from './http.ts';
import { openOAuthServer, type OAuthServer } from './oauth/router.ts';
import type { Users } from './oauth/users.ts';
import { identityLink, type IdentityLink } from './identity-link.ts';
import { HubMetrics, serveMetrics } from './metrics.ts';
import { startingHandler } from './readiness.ts';
import { ChildProcesses } from './upstream/children.ts';
import { httpConnector, inProcessConnector, stdioConnector, type Connector } from './upstream/connectors.ts';
import { startUpstreams } from './upstream/start-all.ts';
import { Upstream } from './upstream/upstream.ts';
import { llmSampler } from './sampling.ts';

export interface HubOptions {
  config: HubConfig;
  log: Logger;
  /** In-process components to mount besides the catalog's (tests mount fixtures this way). */
  components?: Record<string, ComponentFactory>;
  /** Use only `components` and the config's entries, not the catalog's core servers (tests). */
  catalogDefaults?: boolean;
  now?: () => number;
  /** Register process metrics (the real `plexus hub` does; tests running several hubs do not). */
  processMetrics?: boolean;
  /**
   * Stops a start-up in progress: what has started is closed, stdio children included, and the start
   * rejects with the signal's reason.
   */
  signal?: AbortSignal;
  /** Where the hub records its stdio children (the CLI kills any still running when the process exits). */
  children?: ChildProcesses;
  /** Told the URL once the port is bound, before any server is mounted: `/healthz` answers from then on. */
  onListening?: (url: string) => void;
}

export interface RunningHub {
  /** Base URL, e.g. http://127.0.0.1:7420 */
  url: string;
  mcpUrl: string;
  authEnabled: boolean;
  /** The operator token when the hub created or read it; null in dev mode or when given by config. */
  operatorToken: string | null;
  operatorTokenFile: string | null;
  operatorTokenCreated: boolean;
  aggregator: Aggregator;
  metrics: HubMetrics;
  /** The people who sign in (null in dev mode, which has no authorization server). */
  users: Users | null;
  /** Where metrics are served without a token (`metrics.port`), or null. */
  metricsUrl: string | null;
  /** PIDs of the stdio children currently running. */
  childPids(): number[];
  close(): Promise<void>;
}

const OPERATOR_SCOPES: Scope[] = ['read', 'write', 'admin'];
/** How long closing waits for stdio children to exit before killing them. */
const CHILD_EXIT_GRACE_MS = 5000;

/** Identity accepts client assertions addressed to this hub (see withTokenEndpoints). */
function settingsFor(name: string, settings: unknown, tokenEndpoints: readonly string[]): unknown {
  return name === 'identity' ? withTokenEndpoints(settings, tokenEndpoints) : settings;
}

/** Who issues access tokens and for which audiences, as the identity server is configured. */
function tokenPolicy(config: HubConfig): { issuer: string; audience: string[] } {
  const settings = IdentitySettings.parse(config.servers['identity']?.settings ?? {});
  return { issuer: settings.issuer, audience: [settings.audience, ...settings.audiences] };
}

/** The hub's rate limiters: token buckets in Redis when configured (shared by replicas), else in-process. */
function rateLimiters(config: HubConfig, log: Logger) {
  let redis: Redis | null = null;
  if (config.redisUrl) {
    redis = new Redis(config.redisUrl, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      commandTimeout: 500,
      retryStrategy: (times) => Math.min(times * 200, 2000),
    });
    redis.on('error', () => {}); // logged by the limiter when it falls back
  }
  return {
    of(options: { burst: number; perSecond: number; prefix?: string }): RateLimiter {
      return redis ? new FallbackRateLimiter(redis, { ...options, log }) : new MemoryRateLimiter(options);
    },
  };
}

/** Which catalog servers run in-process or remotely, per config (core servers by default). */
async function placementsFor(
  options: HubOptions,
  tokenEndpoints: readonly string[],
): Promise<Map<string, Placement>> {
  const { config } = options;
  const placements = new Map<string, Placement>();
  // Catalog order is start order; configured extras come after.
  const names = new Set<string>();
  for (const [name, entry] of Object.entries(SERVER_CATALOG)) {
    if ((entry.core && options.catalogDefaults !== false) || name in config.servers) names.add(name);
  }
  for (const name of Object.keys(config.servers)) names.add(name);
  for (const name of names) {
    const entry = config.servers[name];
    if (entry && !entry.enabled) continue;
    if (entry?.url) {
      placements.set(name, {
        kind: 'remote',
        url: entry.url,
        headers: serviceHeaders(entry.headers, config.serviceToken),
      });
      continue;
    }
    const injected = options.components?.[name];
    if (injected) {
      placements.set(name, {
        kind: 'in-process',
        factory: injected,
        settings: settingsFor(name, entry?.settings, tokenEndpoints),
      });
      continue;
    }
    const catalogEntry = SERVER_CATALOG[name];
    if (!catalogEntry) {
      throw new Error(
        `servers.${name}: no built-in server of that name (known: ${Object.keys(SERVER_CATALOG).join(', ')})`,
      );
    }
    const mod = await catalogEntry.load();
    placements.set(name, {
      kind: 'in-process',
      factory: mod.component,
      settings: settingsFor(name, entry?.settings, tokenEndpoints),
    });
  }
  for (const [name, factory] of Object.entries(options.components ?? {})) {
    if (!placements.has(name) && config.servers[name]?.enabled !== false) {
      placements.set(name, { kind: 'in-process', factory, settings: config.servers[name]?.settings });
    }
  }
  return placements;
}

/**
 * The key signing the state 2026-07-28 clients echo between rounds: derived from the service token the
 * replicas of a scaled-out hub share, or this process's own when it runs alone.
 */
function requestStateKey(serviceToken: string | undefined): Uint8Array {
  if (!serviceToken) return randomBytes(32);
  return new Uint8Array(hkdfSync('sha256', serviceToken, 'plexus-hub', 'request-state', 32));
}

/** Reads the operator token file, or asks identity for a new one and stores it (0600). */
async function ensureOperatorToken(
  config: HubConfig,
  identity: IdentityLink,
  log: Logger,
): Promise<{ token: string; file: string; created: boolean }> {
  const file = path.join(config.dataDir, 'operator-token');
  if (fs.existsSync(file)) {
    privateFile(file, log);
    const token = fs.readFileSync(file, 'utf8').trim();
    if (token) return { token, file, created: false };
  }
  const issued = await identity.createOperatorToken(
    'operator',
    OPERATOR_SCOPES,
    config.auth.operatorTokenTtlSeconds,
  );
  privateFile(file, log);
  fs.writeFileSync(file, `${issued.token}\n`);
  log.info({ file }, 'created the operator token');
  return { token: issued.token, file, created: true };
}

/**
 * Composes the servers and mounts every upstream (in-process, remote, stdio children, external URLs), starts
 * them all at once (each attempt bounded by `pool.startTimeoutSeconds`; one that is not up by then is down and
 * retried with backoff, joining later), then checks the merged catalog of those that started: a conflict is a
 * startup error naming both sources.
 */
/** How the hub keeps an upstream: pool size, timeouts, backoff, and whom it tells of changes. */
function upstreamOptionsOf(config: HubConfig, log: Logger, aggregator: Aggregator) {
  return {
    maxSessions: config.pool.maxSessionsPerUpstream,
    idleMs: config.pool.idleSeconds * 1000,
    requestTimeoutMs: config.pool.requestTimeoutSeconds * 1000,
    startTimeoutMs: config.pool.startTimeoutSeconds * 1000,
    backoffInitialMs: config.pool.backoffInitialMs,
    backoffMaxMs: config.pool.backoffMaxMs,
    log,
    events: aggregator,
  };
}

/** An `mcpServers` entry as the hub mounts it: a mount of its own stdio child, or its URL. */
function externalMount(
  name: string,
  entry: ExternalServerEntry,
  upstreamOptions: ReturnType<typeof upstreamOptionsOf>,
  children: ChildProcesses,
): Mount {
  const { log } = upstreamOptions;
  const connector =
    'command' in entry
      ? stdioConnector(
          name,
          { command: entry.command, args: entry.args, env: entry.env, cwd: entry.cwd },
          log,
          children,
        )
      : httpConnector(entry.url, entry.headers);
  return new Mount(new Upstream(name, connector, upstreamOptions), {
    defaultScope: entry.scope,
    resourcePrefixes: entry.resourcePrefixes,
  });
}

async function mountAll(
  options: HubOptions,
  aggregator: Aggregator,
  tokenEndpoints: readonly string[],
  cleanups: (() => Promise<void>)[],
  children: ChildProcesses,
  /** Servers mounted from the console (kept in `<dataDir>/console.json`). */
  consoleServers: Record<string, ExternalServerEntry> = {},
): Promise<void> {
  const { config, log, signal } = options;
  const placements = await placementsFor(options, tokenEndpoints);
  signal?.throwIfAborted();
  const composition: Composition = await compose(placements, {
    dataDir: config.dataDir,
    databaseUrl: config.databaseUrl,
    redisUrl: config.redisUrl,
    log,
    ...(options.now ? { now: options.now } : {}),
    ...(signal ? { signal } : {}),
  });
  cleanups.push(() => composition.close());
  cleanups.push(() => aggregator.close());
  signal?.throwIfAborted();

  const upstreamOptions = upstreamOptionsOf(config, log, aggregator);
  const add = (mount: Mount, where: string) => {
    if (aggregator.mounts.has(mount.name)) {
      throw new Error(`'${mount.name}' is configured both in ${where}; mount names must be unique`);
    }
    aggregator.add(mount);
  };
  const mount = (name: string, connector: Connector) =>
    add(new Mount(new Upstream(name, connector, upstreamOptions)), 'servers and in mcpServers');
  for (const [name, placement] of placements) {
    if (placement.kind === 'remote') {
      mount(name, httpConnector(placement.url, placement.headers));
    } else {
      const component = composition.components.get(name);
      if (component) mount(name, inProcessConnector(name, component, serviceAuthInfo('hub')));
    }
  }
  for (const [name, entry] of Object.entries(config.mcpServers)) {
    if (!entry.disabled)
      add(externalMount(name, entry, upstreamOptions, children), 'servers and in mcpServers');
  }
  for (const [name, entry] of Object.entries(consoleServers)) {
    if (!entry.disabled) {
      add(externalMount(name, entry, upstreamOptions, children), 'plexus.json and in console.json');
    }
  }

  await startUpstreams(
    [...aggregator.mounts.values()].map((m) => m.upstream),
    log,
    signal,
  );
  signal?.throwIfAborted();
  aggregator.serve();
}

/** The mounted servers without the HTTP front: `plexus hub --stdio` serves the aggregate to one local client. */
export async function startAggregation(
  options: HubOptions,
): Promise<{ aggregator: Aggregator; childPids(): number[]; close(): Promise<void> }> {
  const { config, log } = options;
  privateDir(config.dataDir, log);
  const metrics = new HubMetrics();
  const aggregator = new Aggregator({
    log,
    metrics,
    requestTimeoutMs: config.pool.requestTimeoutSeconds * 1000,
  });
  const children = options.children ?? new ChildProcesses();
  const cleanups: (() => Promise<void>)[] = [() => children.drain(CHILD_EXIT_GRACE_MS)];
  const close = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) {
      await cleanup().catch((error: unknown) => log.error({ err: error }, 'shutdown step failed'));
    }
  };
  try {
    await mountAll(options, aggregator, [], cleanups, children);
    const llm = aggregator.mounts.get('llm');
    if (llm) aggregator.sampler = llmSampler(llm.upstream);
  } catch (error) {
    await close();
    throw error;
  }
  return { aggregator, childPids: () => children.list(), close };
}

/**
 * Starts the hub. It listens first, answering `/healthz` at once and `/readyz` and MCP with 503 while it
 * starts (the public URL is then known to the servers); composes the servers and starts every upstream
 * (see mountAll); sets up auth and the gateway; then serves. A failure or an abort on the way closes
 * whatever had started, stdio children included.
 */
export async function startHub(options: HubOptions): Promise<RunningHub> {
  const { config, log, signal } = options;
  const authEnabled = config.auth.enabled;
  if (!authEnabled && !isLoopbackHost(config.host)) {
    throw new Error(
      `auth is off (dev mode), so the hub binds loopback only; host '${config.host}' is not loopback`,
    );
  }
  privateDir(config.dataDir, log);
  const metrics = new HubMetrics({ processMetrics: options.processMetrics ?? false });
  const aggregator = new Aggregator({
    log,
    metrics,
    requestTimeoutMs: config.pool.requestTimeoutSeconds * 1000,
  });
  const children = options.children ?? new ChildProcesses();
  const cleanups: (() => Promise<void>)[] = [() => children.drain(CHILD_EXIT_GRACE_MS)];
  const closeAll = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) {
      await cleanup().catch((error: unknown) => log.error({ err: error }, 'shutdown step failed'));
    }
  };

  try {
    const consoleSettings = await ConsoleSettings.open({
      dataDir: config.dataDir,
      databaseUrl: config.databaseUrl,
    });
    cleanups.push(() => consoleSettings.close());
    const hostnames = [...config.allowedHosts];
    if (!isLoopbackHost(config.host) && config.host !== '0.0.0.0' && config.host !== '::')
      hostnames.push(config.host);
    if (config.publicUrl) hostnames.push(new URL(config.publicUrl).hostname);
    // Listen first, answering /healthz at once and 503 otherwise until ready: the public URL is then known.
    let handler: http.RequestListener = startingHandler(aggregator, {
      hostnames,
      origins: config.cors.origins,
    });
    const server = await listen((req, res) => handler(req, res), config.host, config.port);
    cleanups.push(() => closeServer(server));
    const port = (server.address() as AddressInfo).port;
    const host = config.host.includes(':') ? `[${config.host}]` : config.host;
    const publicUrl = canonicalPublicUrl(config.publicUrl ?? `http://${host}:${port}`);
    log.info({ url: publicUrl }, 'hub listening; starting its servers');
    options.onListening?.(publicUrl);

    await mountAll(
      options,
      aggregator,
      assertionAudiences(publicUrl),
      cleanups,
      children,
      consoleSettings.data.mcpServers,
    );
    applySettings(aggregator, config, consoleSettings);

    const identityMount = aggregator.mounts.get('identity');
    const identity = identityMount ? identityLink(identityMount.upstream) : null;
    await carryRevocations(consoleSettings, identity, log);
    const llm = aggregator.mounts.get('llm');
    if (llm) aggregator.sampler = llmSampler(llm.upstream);

    const limiters = rateLimiters(config, log);
    const limiter = limiters.of({ burst: config.limits.rateBurst, perSecond: config.limits.ratePerSecond });
    const { burst, perMinute } = config.oauth.signInAttempts;
    const signInLimiter = limiters.of({ burst, perSecond: perMinute / 60, prefix: 'plexus:signin:' });
    cleanups.push(() => limiter.close());
    cleanups.push(() => signInLimiter.close());

    let verifyToken = null;
    let oauth: OAuthServer | null = null;
    let revocations: RevocationCache | null = null;
    const { issuer, audience: unboundAudiences } = tokenPolicy(config);
    if (authEnabled) {
      if (!identity) {
        throw new Error('auth needs the identity server: mount it (servers.identity) or run with --no-auth');
      }
      const jwks = new JwksCache(() => identity.jwks(), { ttlMs: config.auth.jwksCacheSeconds * 1000 });
      const now = options.now ? { now: options.now } : {};
      // Unbound tokens (operator, agents asking for no resource) and tokens bound to one of our resources.
      const audience = () => [
        ...unboundAudiences,
        `${publicUrl}/mcp`,
        ...[...aggregator.mounts.keys()].map((name) => `${publicUrl}/mcp/${name}`),
        ...[...aggregator.virtualServers.keys()].map((name) => `${publicUrl}/mcp/${virtualView(name)}`),
      ];
      const readAccessToken = jwksTokenReader({ jwks, issuer, audience, ...now });
      oauth = await openOAuthServer({
        settings: config.oauth,
        dataDir: config.dataDir,
        databaseUrl: config.databaseUrl,
        publicUrl,
        mounted: (name) => aggregator.hasView(name),
        identity,
        limiter,
        signInLimiter,
        readAccessToken: (token) => readAccessToken(token).catch(() => null),
        standingCacheMs: config.auth.revocationCacheSeconds * 1000,
        log,
        onRefused: () => metrics.errors.inc({ kind: 'auth' }),
        ...now,
      });
      const server = oauth;
      cleanups.push(() => server.close());
      revocations = new RevocationCache((did) => identity.revocation(did), {
        ttlMs: config.auth.revocationCacheSeconds * 1000,
        log,
        ...now,
      });
      verifyToken = jwksTokenVerifier({
        jwks,
        issuer,
        audience,
        revocations,
        tokens: oauth.standing,
        refusedSubject: (subject) => subject in consoleSettings.data.revoked,
        ...now,
      });
    } else {
      log.warn('AUTH IS OFF (--no-auth): every local caller is the operator with all scopes; loopback only');
    }

    const network = new Network(aggregator);
    const registry = network.registry;
    if (registry) metrics.countAgentsWith(() => countAgents(registry));

    let consoleApp: express.Router | null = null;
    if (oauth && identity && revocations) {
      const live = new LiveState({
        aggregator,
        metrics,
        network,
        log,
        ...(options.now ? { now: options.now } : {}),
      });
      live.start();
      cleanups.push(async () => live.close());
      const upstreamOptions = upstreamOptionsOf(config, log, aggregator);
      const mountServer = async (name: string, entry: ExternalServerEntry) => {
        const mount = externalMount(name, entry, upstreamOptions, children);
        aggregator.add(mount);
        await startUpstreams([mount.upstream], log);
      };
      consoleApp = consoleRouter({
        aggregator,
        config,
        settings: consoleSettings,
        live,
        network,
        audit: new Audit(network, log, () => live.refresh(true)),
        oauth,
        identity,
        revocations,
        publicUrl,
        log,
        now: options.now ?? Date.now,
        mountServer,
      });
      // Replicas on one database share the console's settings: each follows what the others change.
      if (config.databaseUrl) {
        const stop = followSettings({
          settings: consoleSettings,
          aggregator,
          config,
          mount: mountServer,
          log,
        });
        cleanups.push(async () => stop());
      }
    }

    const front = createHttpFront({
      console: consoleApp,
      aggregator,
      metrics,
      log,
      publicUrl,
      verifyToken,
      oauth,
      unboundAudiences,
      limiter,
      hostnames,
      corsOrigins: config.cors.origins,
      bodyBytes: config.limits.bodyBytes,
      maxSessions: config.limits.maxSessions,
      maxSessionsPerIdentity: config.limits.maxSessionsPerIdentity,
      maxInFlightPerIdentity: config.limits.maxInFlightPerIdentity,
      maxJsonDepth: config.limits.maxJsonDepth,
      sessionIdleMs: config.limits.sessionIdleSeconds * 1000,
      requestStateKey: requestStateKey(config.serviceToken),
    });
    // Sessions and listen streams close before the upstreams they forward to.
    cleanups.push(() => front.close());
    let metricsUrl: string | null = null;
    if (config.metrics.port !== undefined) {
      // Scrapes without a token, on a listener of their own (loopback unless configured otherwise).
      const scrape = serveMetrics(metrics);
      const listener = await listen(
        (req, res) => void scrape(req, res),
        config.metrics.host,
        config.metrics.port,
      );
      cleanups.push(() => closeServer(listener));
      metricsUrl = `http://${config.metrics.host}:${(listener.address() as AddressInfo).port}/metrics`;
    }

    let operator: { token: string; file: string; created: boolean } | null = null;
    if (authEnabled && identity && !config.auth.operatorToken) {
      operator = await ensureOperatorToken(config, identity, log);
    }
    signal?.throwIfAborted();
    handler = front.listener;
    log.info({ url: publicUrl, servers: [...aggregator.mounts.keys()], auth: authEnabled }, 'hub serving');

    return {
      url: publicUrl,
      mcpUrl: `${publicUrl}/mcp`,
      authEnabled,
      operatorToken: operator?.token ?? null,
      operatorTokenFile: operator?.file ?? null,
      operatorTokenCreated: operator?.created ?? false,
      aggregator,
      metrics,
      users: oauth?.users ?? null,
      metricsUrl,
      childPids: () => children.list(),
      close: closeAll,
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}
