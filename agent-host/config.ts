import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { formatZodError, TopicName } from '../schemas/common.ts';
import { PlexusError } from '../lib/errors.ts';
import { McpServerEntry } from '../schemas/mcp-servers.ts';
import { SandboxPolicy } from '../schemas/sandbox/tool-package.ts';
import { DEFAULT_HUB_URL } from '../lib/net/hub-address.ts';

/** An agent's hub unless told otherwise: where a hub listens by default. */
export { DEFAULT_HUB_URL };

/**
 * `<dir>/agent.json`: how an agent host runs. Every field has a default (the seed's values), environment
 * variables override the file, and command-line flags override both.
 */

/** Server names prefix tool names (`<server>__<tool>`), so they stay short and pattern-safe. */
const ServerName = z
  .string()
  .regex(/^[a-zA-Z0-9][a-zA-Z0-9_-]{0,29}$/, 'must be 1-30 letters, digits, _ or -');

/** The agent's own MCP endpoint and direct delivery to peers' endpoints (P2P). */
export const P2pConfig = z
  .strictObject({
    /** Serve this agent's own MCP endpoint (deliver_message, ask) and list it in the card. */
    listen: z.boolean().default(false),
    host: z.string().min(1).default('127.0.0.1'),
    /** 0 = any free port (the card is re-signed when the endpoint changes). */
    port: z.int().min(0).max(65_535).default(0),
    /** The URL peers reach the endpoint at, when it differs from the listening address (NAT, proxy). */
    publicUrl: z.url({ protocol: /^https?$/ }).optional(),
    /** Deliver straight to peers whose cards list an endpoint, falling back to the hub. */
    direct: z.boolean().default(true),
    /** How long `ask` waits for a peer's answer (its model may think for a while). */
    askTimeoutMs: z.int().min(100).max(3_600_000).default(120_000),
    /** Address kinds a peer's endpoint may resolve to besides public ones (never metadata or link-local). */
    allowAddresses: z.array(z.enum(['loopback', 'private', 'shared'])).default(['loopback', 'private']),
    /** Calls to the own endpoint: per peer DID and for all peers together (token buckets), asks at once. */
    limits: z
      .strictObject({
        burst: z.int().min(1).max(100_000).default(20),
        perSecond: z.number().positive().max(100_000).default(1),
        totalBurst: z.int().min(1).max(100_000).default(100),
        totalPerSecond: z.number().positive().max(100_000).default(10),
        maxConcurrentAsks: z.int().min(1).max(1_000).default(2),
      })
      .prefault({}),
  })
  .superRefine((p2p, ctx) => {
    // Peers need an address they can reach; "every interface" is not one.
    if (p2p.listen && ['0.0.0.0', '::'].includes(p2p.host) && !p2p.publicUrl)
      ctx.addIssue({
        code: 'custom',
        path: ['publicUrl'],
        message: `is needed when listening on ${p2p.host}`,
      });
  });
export type P2pConfig = z.infer<typeof P2pConfig>;

/** Sandboxed tool packages installed from the registry (`plexus agent tools install`) and what they may do. */
export const AgentSandboxConfig = z
  .strictObject({
    /** Where installed packages live; relative to the agent dir. */
    toolsDir: z.string().min(1).default('tools'),
    /**
     * Grants, denials and the minimum trust in an author (from the hub's identity server, checked when a
     * package is installed or updated); what a tool asks for beyond its rule is narrowed or refused.
     */
    policy: SandboxPolicy.prefault({}),
    /** Worker processes running tool calls. */
    workers: z.int().min(1).max(16).default(1),
  })
  .prefault({});
export type AgentSandboxConfig = z.infer<typeof AgentSandboxConfig>;

/** A web-search backend: with it, the `web` server (web_search, fetch_url) is one of the default tools. */
export const WebSearchConfig = z
  .strictObject({
    provider: z.enum(['searxng', 'brave']),
    /** The SearXNG base URL (its JSON format enabled), or another Brave Search API endpoint. */
    url: z.url({ protocol: /^https?$/ }).optional(),
    /** Brave's API key; PLEXUS_BRAVE_API_KEY overrides it. */
    apiKey: z.string().min(1).optional(),
  })
  .superRefine((search, ctx) => {
    if (search.provider === 'searxng' && !search.url)
      ctx.addIssue({ code: 'custom', path: ['url'], message: 'is needed for SearXNG (its base URL)' });
  });
export type WebSearchConfig = z.infer<typeof WebSearchConfig>;

export const AgentConfig = z.strictObject({
  hubUrl: z.url().optional(),
  name: z.string().min(1).max(64).optional(),
  role: z.string().min(1).max(64).optional(),
  capabilities: z.array(z.string().min(1).max(64)).max(32).optional(),
  reconnectIntervalMs: z.int().min(50).max(600_000).default(5_000),
  /** Most time to wait for the hub to answer one request (message send, tool call). */
  messageTimeoutMs: z.int().min(100).max(600_000).default(30_000),
  /** How often the inbox is polled when the hub cannot push inbox notifications. */
  inboxPollMs: z.int().min(50).max(600_000).default(2_000),
  /** Where local state lives (messages, caches); relative to the agent dir. */
  storagePath: z.string().min(1).default('data'),
  maxConcurrentTasks: z.int().min(1).max(1000).default(5),
  /** On shutdown, how long tasks in flight may run to completion before they are handed back. */
  shutdownGraceMs: z.int().min(0).max(600_000).default(10_000),
  heartbeatIntervalMs: z.int().min(100).max(3_600_000).default(60_000),
  /** Folders the default filesystem tool may touch; relative to the agent dir. */
  filesystemRoots: z.array(z.string().min(1)).default(['files']),
  /** Leave out the default filesystem and system tool servers. */
  defaultTools: z.boolean().default(true),
  mcpServers: z.record(ServerName, McpServerEntry).default({}),
  sandbox: AgentSandboxConfig,
  webSearch: WebSearchConfig.optional(),
  /** Topics this agent follows: subscribed at the router, their deliveries handed to the brain. */
  topics: z.array(TopicName).max(100).default([]),
  p2p: P2pConfig.prefault({}),
  logLevel: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
});
export type AgentConfig = z.infer<typeof AgentConfig>;

/** Environment variable → config field (numbers are parsed and then validated by the schema). */
const ENV_FIELDS: Record<string, { field: keyof AgentConfig; number?: boolean }> = {
  PLEXUS_HUB: { field: 'hubUrl' },
  PLEXUS_AGENT_NAME: { field: 'name' },
  PLEXUS_AGENT_ROLE: { field: 'role' },
  PLEXUS_RECONNECT_INTERVAL_MS: { field: 'reconnectIntervalMs', number: true },
  PLEXUS_MESSAGE_TIMEOUT_MS: { field: 'messageTimeoutMs', number: true },
  PLEXUS_AGENT_STORAGE: { field: 'storagePath' },
  PLEXUS_MAX_CONCURRENT_TASKS: { field: 'maxConcurrentTasks', number: true },
  PLEXUS_SHUTDOWN_GRACE_MS: { field: 'shutdownGraceMs', number: true },
  PLEXUS_HEARTBEAT_INTERVAL_MS: { field: 'heartbeatIntervalMs', number: true },
  PLEXUS_INBOX_POLL_MS: { field: 'inboxPollMs', number: true },
  PLEXUS_LOG_LEVEL: { field: 'logLevel' },
};

export interface AgentPaths {
  dir: string;
  identity: string;
  config: string;
  storage: string;
  database: string;
  logs: string;
  /** Installed sandboxed tool packages, one folder each. */
  tools: string;
}

export function agentPaths(dir: string, config?: AgentConfig): AgentPaths {
  const root = path.resolve(dir);
  const storage = path.resolve(root, config?.storagePath ?? 'data');
  return {
    dir: root,
    identity: path.join(root, 'identity.json'),
    config: path.join(root, 'agent.json'),
    storage,
    database: path.join(storage, 'agent.db'),
    logs: path.join(root, 'logs'),
    tools: path.resolve(root, config?.sandbox.toolsDir ?? 'tools'),
  };
}

/** `<dir>/agent.json` as written (absent = `{}`), not yet validated. */
function readConfigFile(file: string): Record<string, unknown> {
  if (!fs.existsSync(file)) return {};
  try {
    const parsed: unknown = JSON.parse(fs.readFileSync(file, 'utf8'));
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      throw new Error('must be a JSON object');
    return parsed as Record<string, unknown>;
  } catch (error) {
    throw new PlexusError('invalid', 'config_invalid', `${file}: ${(error as Error).message}`);
  }
}

/** Loads `<dir>/agent.json` (absent = defaults) with environment overrides; errors name the field. */
export function loadAgentConfig(
  dir: string,
  env: Record<string, string | undefined> = process.env,
): AgentConfig {
  const file = agentPaths(dir).config;
  const raw = readConfigFile(file);
  for (const [variable, { field, number }] of Object.entries(ENV_FIELDS)) {
    const value = env[variable];
    if (value === undefined || value === '') continue;
    raw[field] = number ? Number(value) : value;
  }
  const result = AgentConfig.safeParse(raw);
  if (!result.success)
    throw new PlexusError('invalid', 'config_invalid', `${file}: ${formatZodError(result.error)}`);
  return result.data;
}

/** A hub's base URL as given (a flag, PLEXUS_HUB, agent.json), checked and without trailing slashes. */
export function checkedHubUrl(url: string): string {
  if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol))
    throw new PlexusError('invalid', 'config_invalid', `hub URL '${url}' is not an http(s) URL`, {
      field: 'hubUrl',
    });
  return url.replace(/\/+$/, '');
}

/** `--hub`, then PLEXUS_HUB, then agent.json, then the default. */
export function hubUrlOf(config: AgentConfig, flag: string | undefined): string {
  return checkedHubUrl(flag ?? config.hubUrl ?? DEFAULT_HUB_URL);
}

/**
 * Changes agent.json as written (keys left out stay out, so defaults keep applying); the result must be a
 * valid config, and replaces the file in one rename, so a running agent never reads half of it.
 */
export function editConfigFile(
  dir: string,
  edit: (raw: Record<string, unknown>) => Record<string, unknown>,
): void {
  const file = agentPaths(dir).config;
  const next = edit(readConfigFile(file));
  const checked = AgentConfig.safeParse(next);
  if (!checked.success)
    throw new PlexusError('invalid', 'config_invalid', `${file}: ${formatZodError(checked.error)}`);
  const temporary = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, JSON.stringify(next, null, 2) + '\n', { mode: 0o600 });
  fs.renameSync(temporary, file);
}

/** Writes a fresh agent.json (never replacing one). */
export function writeDefaultConfig(dir: string, fields: Partial<AgentConfig>): void {
  const file = agentPaths(dir).config;
  if (fs.existsSync(file)) return;
  fs.writeFileSync(file, JSON.stringify(fields, null, 2) + '\n', { flag: 'wx', mode: 0o600 });
}
