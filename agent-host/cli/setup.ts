// What every `plexus agent` verb shares: the common flags, the agent dir's config and paths, the identity.
import path from 'node:path';
import { PlexusError } from '../../lib/errors.ts';
import { loadIdentityFile, type LoadedIdentity } from '../../lib/identity/identity-file.ts';
import { createLogger } from '../../lib/log.ts';
import { agentPaths, hubUrlOf, loadAgentConfig, type AgentConfig, type AgentPaths } from '../config.ts';
import { HubSession } from '../hub-session.ts';
import { passphraseForLoad } from '../passphrase.ts';
import { ensureIdentityRegistered } from '../registration.ts';

export const COMMON = {
  dir: { type: 'string', default: 'agent' },
  hub: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export function out(line: string): void {
  process.stdout.write(`${line}\n`);
}

export async function loadIdentity(paths: AgentPaths): Promise<LoadedIdentity> {
  return (await loadUnlocked(paths)).identity;
}

/** The identity and, when it is encrypted, the passphrase that opened it (to write it again). */
export async function loadUnlocked(
  paths: AgentPaths,
): Promise<{ identity: LoadedIdentity; passphrase: string | undefined }> {
  try {
    return { identity: loadIdentityFile(paths.identity), passphrase: undefined };
  } catch (error) {
    if (!(error instanceof PlexusError) || error.code !== 'passphrase_required') throw error;
  }
  const passphrase = await passphraseForLoad(paths.identity);
  return { identity: loadIdentityFile(paths.identity, { passphrase }), passphrase };
}

export interface Loaded {
  config: AgentConfig;
  paths: AgentPaths;
  hubUrl: string;
}

export function loadSetup(dir: string, hubFlag: string | undefined): Loaded {
  const config = loadAgentConfig(dir);
  return { config, paths: agentPaths(dir, config), hubUrl: hubUrlOf(config, hubFlag) };
}

/**
 * Runs `fn` on a hub session as the agent, its identity registered there (the card as registered comes
 * along), and closes the session whatever happens.
 */
export async function withAgentSession<T>(
  setup: Loaded,
  identity: LoadedIdentity,
  fn: (session: HubSession, registered: LoadedIdentity) => Promise<T>,
): Promise<T> {
  const log = createLogger({
    name: 'plexus-agent-cli',
    level: setup.config.logLevel,
    file: path.join(setup.paths.logs, 'cli.log'),
  });
  const session = new HubSession({
    hubUrl: setup.hubUrl,
    identity,
    log,
    timeoutMs: setup.config.messageTimeoutMs,
  });
  try {
    await session.open();
    return await fn(session, await ensureIdentityRegistered(session, setup.paths.identity, identity, log));
  } finally {
    await session.close();
    log.flush();
  }
}
