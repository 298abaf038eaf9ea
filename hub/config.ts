import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { publicUrlProblem } from '../lib/auth/public-url.ts';
import { PlexusError } from '../lib/errors.ts';
import { ollamaHostFromEnv } from '../servers/llm/component.ts';
import { OAuthSettings } from './oauth/settings.ts';
import { DEFAULT_HUB_HOST, DEFAULT_HUB_PORT } from '../lib/net/hub-address.ts';

/**
 * `plexus.json`: what the hub mounts and how its gateway behaves. Every field has a default, so an empty file
 * (or none) runs the embedded default: every core server in-process, state under ./data, loopback only.
 */

/** Mount names become tool prefixes (`<server>__<tool>`), so they stay short and pattern-safe. */
export const MountName = z
  .string()
  .regex(/^[a-zA-Z0-9][a-zA-Z0-9_-]{0,29}$/, 'must be 1-30 letters, digits, _ or - (starting alphanumeric)');

const Scope = z.enum(['public', 'read', 'write', 'admin']);

/** A core server: in-process by default, or a remote `plexus serve <name>` by URL. */
const CoreServerEntry = z.strictObject({
  enabled: z.boolean().default(true),
  /** Streamable HTTP URL of a remote instance; absent = in-process. */
  url: z.url().optional(),
  /** Extra HTTP headers for a remote instance (e.g. `Authorization: Bearer <delegate token>`). */
  headers: z.record(z.string(), z.string()).default({}),
  /** The server's own settings section, parsed by the server itself. */
  settings: z.unknown().optional(),
});
export type CoreServerEntry = z.infer<typeof CoreServerEntry>;

const externalCommon = {
  /** Scope a tool of this server needs when it does not declare one in `_meta['io.plexus/scope']`. */
  scope: Scope.default('write'),
  /** Extra resource URI prefixes routed to this server (beyond those its listings reveal). */
  resourcePrefixes: z.array(z.string().min(1)).default([]),
  disabled: z.boolean().default(false),
};

/** The standard `mcpServers` entry (Claude Desktop / Cursor format): stdio command or URL. */
export const StdioServerEntry = z.strictObject({
  type: z.literal('stdio').optional(),
  command: z.string().min(1),
  args: z.array(z.string()).default([]),
  env: z.record(z.string(), z.string()).default({}),
  cwd: z.string().optional(),
  ...externalCommon,
});
export const HttpServerEntry = z.strictObject({
  type: z.enum(['http', 'streamable-http']).optional(),
  url: z.url(),
  headers: z.record(z.string(), z.string()).default({}),
  ...externalCommon,
});
export const ExternalServerEntry = z.union([StdioServerEntry, HttpServerEntry]);
export type ExternalServerEntry = z.infer<typeof ExternalServerEntry>;

const positiveInt = z.int().positive();

/** A virtual server's name: its endpoint is `/mcp/v/<name>`. */
export const VirtualServerName = MountName;

/** A virtual server: a named set of the aggregate's tools, by their `/mcp` names (`<server>__<tool>`). */
export const VirtualServerEntry = z.strictObject({
  tools: z
    .array(
      z
        .string()
        .regex(
          /^[a-zA-Z0-9][a-zA-Z0-9_-]{0,29}__[a-zA-Z0-9_-]+$/,
          'must be a tool as /mcp lists it: <server>__<tool>',
        )
        .max(64),
    )
    .min(1, 'must name at least one tool')
    .max(500),
  description: z.string().max(200).optional(),
});
export type VirtualServerEntry = z.infer<typeof VirtualServerEntry>;

export const HubConfig = z.strictObject({
  host: z.string().min(1).default(DEFAULT_HUB_HOST),
  port: z.int().min(0).max(65535).default(DEFAULT_HUB_PORT),
  /**
   * The URL clients reach the hub at (behind a TLS proxy: https://plexus.example.com); default
   * http://<host>:<port>. The OAuth issuer, resource audiences, assertion audiences and served Host follow.
   */
  publicUrl: z
    .string()
    .superRefine((value, ctx) => {
      const problem = publicUrlProblem(value);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    })
    .optional(),
  dataDir: z.string().min(1).default('./data'),
  databaseUrl: z.string().optional(),
  redisUrl: z.string().optional(),
  /**
   * Shared secret the hub presents to core servers mounted by URL (they run with the same
   * PLEXUS_SERVICE_TOKEN and accept it as the hub's delegate credential); see lib/auth/service-token.ts.
   */
  serviceToken: z
    .string()
    .min(32, 'must be at least 32 characters')
    .regex(/^[A-Za-z0-9\-._~+/]+=*$/, 'must be a bearer token (letters, digits, -._~+/ and trailing =)')
    .optional(),
  logLevel: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
  auth: z
    .strictObject({
      /** false = dev mode: no tokens, loopback only, loud warning. */
      enabled: z.boolean().default(true),
      /** Operator token given out of band (else `<dataDir>/operator-token`, created on first start). */
      operatorToken: z.string().min(1).optional(),
      /** Lifetime of the operator token created on first start (identity caps it, 90 days by default). */
      operatorTokenTtlSeconds: positiveInt.default(90 * 24 * 3600),
      /** How long a fetched JWKS is trusted before it is fetched again. */
      jwksCacheSeconds: positiveInt.default(300),
      /** How long an agent DID's standing (not revoked) is trusted before identity is asked again. */
      revocationCacheSeconds: positiveInt.default(5),
    })
    .default({
      enabled: true,
      operatorTokenTtlSeconds: 90 * 24 * 3600,
      jwksCacheSeconds: 300,
      revocationCacheSeconds: 5,
    }),
  limits: z
    .strictObject({
      /** Largest accepted request body. */
      bodyBytes: positiveInt.default(4 * 1024 * 1024),
      /** Token bucket per identity: burst size and steady refill. */
      rateBurst: positiveInt.default(120),
      ratePerSecond: z.number().positive().default(20),
      /** 2025-era client sessions kept at once, and per identity; idle ones expire. */
      maxSessions: positiveInt.default(10_000),
      maxSessionsPerIdentity: positiveInt.default(20),
      /** A session with no open stream is closed after this long without a request. */
      sessionIdleSeconds: positiveInt.default(300),
      /** Requests one identity may have in flight at once (listen streams not counted). */
      maxInFlightPerIdentity: positiveInt.default(32),
      /** How deeply a request's JSON may nest objects and arrays. */
      maxJsonDepth: positiveInt.default(64),
    })
    .default({
      bodyBytes: 4 * 1024 * 1024,
      rateBurst: 120,
      ratePerSecond: 20,
      maxSessions: 10_000,
      maxSessionsPerIdentity: 20,
      sessionIdleSeconds: 300,
      maxInFlightPerIdentity: 32,
      maxJsonDepth: 64,
    }),
  /** The authorization server people's MCP clients sign in with (metadata, consent page, clients). */
  oauth: OAuthSettings.prefault({}),
  /**
   * Prometheus metrics: on the hub's port `/metrics` needs an admin token; with `port`, they are also served
   * without a token on a separate listener (bound to `host`, loopback by default).
   */
  metrics: z
    .strictObject({
      port: z.int().min(0).max(65535).optional(),
      host: z.string().min(1).default('127.0.0.1'),
    })
    .default({ host: '127.0.0.1' }),
  /** Browser origins allowed by CORS (exact `scheme://host[:port]`, or `*`). */
  cors: z.strictObject({ origins: z.array(z.string().min(1)).default([]) }).default({ origins: [] }),
  /** Host names (besides loopback and the public URL's) accepted in the Host header. */
  allowedHosts: z.array(z.string().min(1)).default([]),
  pool: z
    .strictObject({
      /** Upstream sessions per multi-session upstream; calls share them when all are busy. */
      maxSessionsPerUpstream: positiveInt.default(8),
      /** Extra upstream sessions idle this long are closed. */
      idleSeconds: positiveInt.default(60),
      requestTimeoutSeconds: positiveInt.default(300),
      /**
       * How long one attempt to start an upstream (spawn or connect, handshake, listings) may take; past it
       * the upstream is down (a stdio child is stopped) and tried again with backoff.
       */
      startTimeoutSeconds: positiveInt.default(30),
      /** Restart backoff for stdio children and reconnects. */
      backoffInitialMs: positiveInt.default(250),
      backoffMaxMs: positiveInt.default(30_000),
    })
    .default({
      maxSessionsPerUpstream: 8,
      idleSeconds: 60,
      requestTimeoutSeconds: 300,
      startTimeoutSeconds: 30,
      backoffInitialMs: 250,
      backoffMaxMs: 30_000,
    }),
  /** Core servers by name; absent ones are mounted in-process when their component exists. */
  servers: z.record(MountName, CoreServerEntry).default({}),
  /** Any other MCP servers, in the standard `mcpServers` format. */
  mcpServers: z.record(MountName, ExternalServerEntry).default({}),
  /** Virtual servers served at `/mcp/v/<name>`: only the tools named (also managed in the console). */
  virtualServers: z.record(VirtualServerName, VirtualServerEntry).default({}),
});
export type HubConfig = z.infer<typeof HubConfig>;

function formatIssues(error: z.ZodError, source: string): string {
  return error.issues
    .map((issue) => `${source}: ${issue.path.length ? issue.path.join('.') : '(root)'}: ${issue.message}`)
    .join('\n');
}

export function parseHubConfig(raw: unknown, source = 'plexus.json'): HubConfig {
  const result = HubConfig.safeParse(raw);
  if (!result.success) {
    const first = result.error.issues[0];
    throw new PlexusError('invalid', 'invalid_config', formatIssues(result.error, source), {
      field: first?.path.join('.') ?? '',
    });
  }
  return result.data;
}

type Env = Readonly<Record<string, string | undefined>>;

/** Core servers whose URL an environment variable can set. */
export const REMOTE_CORE_SERVERS = ['identity', 'router', 'registry', 'memory', 'llm'] as const;

function setPath(target: Record<string, unknown>, keys: string[], value: unknown): void {
  let node = target;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[keys[keys.length - 1] as string] = value;
}

function intFrom(name: string, value: string): number {
  if (!/^\d+$/.test(value)) {
    throw new PlexusError('invalid', 'invalid_config', `${name}: must be a whole number, got '${value}'`, {
      field: name,
    });
  }
  return Number(value);
}

/**
 * Environment overrides, applied to the raw file content before validation so that errors name the
 * variable's target field. Only set variables count.
 */
export function applyEnv(raw: Record<string, unknown>, env: Env): Record<string, unknown> {
  const out = structuredClone(raw);
  const simple: [string, string[], (v: string, name: string) => unknown][] = [
    ['PLEXUS_PORT', ['port'], (v, n) => intFrom(n, v)],
    ['PLEXUS_HOST', ['host'], (v) => v],
    ['PLEXUS_PUBLIC_URL', ['publicUrl'], (v) => v],
    ['PLEXUS_DATA', ['dataDir'], (v) => v],
    ['PLEXUS_DATABASE_URL', ['databaseUrl'], (v) => v],
    ['PLEXUS_REDIS_URL', ['redisUrl'], (v) => v],
    ['PLEXUS_SERVICE_TOKEN', ['serviceToken'], (v) => v],
    // Core servers mounted by URL (scaled out): PLEXUS_IDENTITY_URL, PLEXUS_ROUTER_URL, …
    ...REMOTE_CORE_SERVERS.map(
      (name) =>
        [`PLEXUS_${name.toUpperCase()}_URL`, ['servers', name, 'url'], (v: string) => v] as [
          string,
          string[],
          (v: string, name: string) => unknown,
        ],
    ),
    ['PLEXUS_LOG_LEVEL', ['logLevel'], (v) => v],
    ['PLEXUS_OPERATOR_TOKEN', ['auth', 'operatorToken'], (v) => v],
    [
      'PLEXUS_CORS_ORIGINS',
      ['cors', 'origins'],
      (v) =>
        v
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
    ],
    [
      'PLEXUS_ALLOWED_HOSTS',
      ['allowedHosts'],
      (v) =>
        v
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
    ],
    ['PLEXUS_RATE_PER_SECOND', ['limits', 'ratePerSecond'], (v, n) => intFrom(n, v)],
    ['PLEXUS_RATE_BURST', ['limits', 'rateBurst'], (v, n) => intFrom(n, v)],
    ['PLEXUS_START_TIMEOUT_SECONDS', ['pool', 'startTimeoutSeconds'], (v, n) => intFrom(n, v)],
    ['PLEXUS_METRICS_PORT', ['metrics', 'port'], (v, n) => intFrom(n, v)],
  ];
  for (const [name, keys, convert] of simple) {
    const value = env[name];
    if (value !== undefined && value !== '') setPath(out, keys, convert(value, name));
  }
  if (env['OLLAMA_HOST']) {
    const settings = (
      out['servers'] as Record<string, { settings?: { ollama_host?: unknown } }> | undefined
    )?.['llm']?.settings;
    // The file wins over the environment for the llm section's own field.
    if (settings?.ollama_host === undefined) {
      setPath(out, ['servers', 'llm', 'settings', 'ollama_host'], ollamaHostFromEnv(env));
    }
  }
  return out;
}

export interface LoadedConfig {
  config: HubConfig;
  /** The file read, or null when none exists. */
  file: string | null;
}

/**
 * Reads `plexus.json` (or `file`), applies environment overrides and validates. A missing default file is
 * fine (all defaults); a missing file named explicitly is an error. Relative `dataDir` resolves against the
 * file's folder (or the working directory without a file).
 */
export function loadHubConfig(
  options: { file?: string | undefined; env?: Env; cwd?: string } = {},
): LoadedConfig {
  const cwd = options.cwd ?? process.cwd();
  const env = options.env ?? process.env;
  const explicit = options.file ?? env['PLEXUS_CONFIG'];
  const file = path.resolve(cwd, explicit ?? 'plexus.json');
  let raw: Record<string, unknown> = {};
  let found: string | null = null;
  if (fs.existsSync(file)) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (error) {
      throw new PlexusError(
        'invalid',
        'invalid_config',
        `${file}: not valid JSON (${(error as Error).message})`,
      );
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new PlexusError('invalid', 'invalid_config', `${file}: must hold a JSON object`);
    }
    raw = parsed as Record<string, unknown>;
    found = file;
  } else if (explicit) {
    throw new PlexusError('invalid', 'invalid_config', `${file}: no such config file`);
  }
  const config = parseHubConfig(applyEnv(raw, env), found ?? 'config');
  config.dataDir = path.resolve(found ? path.dirname(found) : cwd, config.dataDir);
  return { config, file: found };
}

export function isLoopbackHost(host: string): boolean {
  return host === '127.0.0.1' || host === 'localhost' || host === '::1' || host === '[::1]';
}
