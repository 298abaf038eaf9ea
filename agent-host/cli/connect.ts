// How the network verbs (`plexus status`, `agents`, `tasks`, `memory`, `agent vouch`) reach the hub, and as whom.
import fs from 'node:fs';
import path from 'node:path';
import { flagError, usageError } from '../../lib/cli/flags.ts';
import { PlexusError } from '../../lib/errors.ts';
import type { LoadedIdentity } from '../../lib/identity/identity-file.ts';
import { createLogger, type Logger } from '../../lib/log.ts';
import { agentPaths, hubUrlOf, loadAgentConfig, type AgentConfig } from '../config.ts';
import { HubSession } from '../hub-session.ts';
import { ensureIdentityRegistered } from '../registration.ts';
import { COMMON, loadIdentity } from './setup.ts';

/** The flags of every network verb: the agent dir, the hub, an operator token, `--json`. */
export const CONNECT_FLAGS = {
  ...COMMON,
  'token-file': { type: 'string' },
  json: { type: 'boolean' },
} as const;

export interface ConnectFlags {
  dir: string;
  hub?: string | undefined;
  'token-file'?: string | undefined;
}

/** Who the CLI is at the hub. */
export type Caller =
  | { kind: 'agent'; identity: LoadedIdentity }
  | { kind: 'operator'; token: string; source: string }
  | { kind: 'anonymous' };

export interface Connection {
  hubUrl: string;
  session: HubSession;
  caller: Caller;
  close(): Promise<void>;
}

/** The agent's config when `dir` holds an agent, else null (the default dir need not exist). */
function agentConfigIn(dir: string): AgentConfig | null {
  return fs.existsSync(agentPaths(dir).identity) ? loadAgentConfig(dir) : null;
}

/** `--hub`, then PLEXUS_HUB, then the agent's agent.json, then the hub's default address. */
export function hubUrlFor(flags: ConnectFlags): string {
  try {
    return hubUrlOf(loadAgentConfig(flags.dir), flags.hub);
  } catch (error) {
    if (flags.hub !== undefined && error instanceof PlexusError && error.field === 'hubUrl')
      throw flagError('hub', `'${flags.hub}' is not an http(s) URL`);
    throw error;
  }
}

/**
 * An operator token, when one is at hand: `--token-file`, then PLEXUS_OPERATOR_TOKEN, then the hub's own
 * `<PLEXUS_DATA or ./data>/operator-token` (a CLI run beside the hub it started).
 */
export function operatorToken(
  flags: ConnectFlags,
  env: Record<string, string | undefined> = process.env,
): { token: string; source: string } | null {
  const file = flags['token-file'];
  if (file !== undefined) {
    let token: string;
    try {
      token = fs.readFileSync(file, 'utf8').trim();
    } catch (error) {
      throw flagError(
        'token-file',
        `cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
      );
    }
    if (!token) throw flagError('token-file', `${file} is empty`);
    return { token, source: file };
  }
  const fromEnv = env['PLEXUS_OPERATOR_TOKEN'];
  if (fromEnv) return { token: fromEnv, source: 'PLEXUS_OPERATOR_TOKEN' };
  const beside = path.join(env['PLEXUS_DATA'] ?? 'data', 'operator-token');
  if (fs.existsSync(beside)) {
    const token = fs.readFileSync(beside, 'utf8').trim();
    if (token) return { token, source: beside };
  }
  return null;
}

/**
 * Connects as the agent in `--dir` when it holds one (an explicit operator token wins), else with an
 * operator token, else with no credential (a hub started with --no-auth). `needs: 'agent'` refuses to go
 * on without an agent, saying how to get one.
 */
export async function connect(flags: ConnectFlags, needs: 'agent' | 'any' = 'any'): Promise<Connection> {
  const hubUrl = hubUrlFor(flags);
  const config = agentConfigIn(flags.dir);
  const explicitToken = flags['token-file'] !== undefined || !!process.env['PLEXUS_OPERATOR_TOKEN'];
  let caller: Caller;
  if (config && (needs === 'agent' || !explicitToken)) {
    caller = { kind: 'agent', identity: await loadIdentity(agentPaths(flags.dir, config)) };
  } else if (needs === 'agent') {
    throw usageError(
      `this acts as an agent, and there is none in ${path.resolve(flags.dir)}: ` +
        'give its folder with --dir, or create one with plexus agent init',
    );
  } else {
    const token = operatorToken(flags);
    caller = token ? { kind: 'operator', ...token } : { kind: 'anonymous' };
  }
  const log: Logger = config
    ? createLogger({
        name: 'plexus-cli',
        level: config.logLevel,
        file: path.join(agentPaths(flags.dir, config).logs, 'cli.log'),
      })
    : createLogger({ name: 'plexus-cli', level: 'warn' });
  const session = new HubSession({
    hubUrl,
    log,
    timeoutMs: config?.messageTimeoutMs ?? 30_000,
    clientName: 'plexus-cli',
    ...(caller.kind === 'agent' ? { identity: caller.identity } : {}),
    ...(caller.kind === 'operator' ? { token: caller.token } : {}),
  });
  try {
    await session.open();
    if (caller.kind === 'agent' && config)
      caller = {
        kind: 'agent',
        identity: await ensureIdentityRegistered(
          session,
          agentPaths(flags.dir, config).identity,
          caller.identity,
          log,
        ),
      };
  } catch (error) {
    await session.close();
    log.flush();
    if (caller.kind === 'anonymous' && error instanceof PlexusError && error.code === 'hub_unauthorized')
      throw new PlexusError('unauthorized', 'credential_needed', `the hub at ${hubUrl} wants a credential`, {
        hint:
          'run this where an agent lives (or give its folder with --dir), or give an operator token ' +
          '(--token-file FILE, PLEXUS_OPERATOR_TOKEN)',
      });
    throw error;
  }
  return {
    hubUrl,
    session,
    caller,
    async close() {
      await session.close();
      log.flush();
    },
  };
}

/** Runs `fn` on a connection and closes it, whatever happens. */
export async function withHub<T>(
  flags: ConnectFlags,
  fn: (connection: Connection) => Promise<T>,
  needs: 'agent' | 'any' = 'any',
): Promise<T> {
  const connection = await connect(flags, needs);
  try {
    return await fn(connection);
  } finally {
    await connection.close();
  }
}

/** Who is asking, for a line of output: the agent's name and DID, or the kind of token. */
export function describeCaller(caller: Caller): string {
  if (caller.kind === 'agent') return `${caller.identity.card.name} (${caller.identity.did})`;
  if (caller.kind === 'operator') return `operator token (${caller.source})`;
  return 'no credential';
}
