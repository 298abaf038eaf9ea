// What every `plexus agent` verb shares: the common flags, the agent dir's config and paths, the identity.
import { PlexusError } from '../../lib/errors.ts';
import { loadIdentityFile, type LoadedIdentity } from '../../lib/identity/identity-file.ts';
import { agentPaths, hubUrlOf, loadAgentConfig, type AgentConfig, type AgentPaths } from '../config.ts';
import { passphraseForLoad } from '../passphrase.ts';

export const COMMON = {
  dir: { type: 'string', default: 'agent' },
  hub: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export function out(line: string): void {
  process.stdout.write(`${line}\n`);
}

export async function loadIdentity(paths: AgentPaths): Promise<LoadedIdentity> {
  try {
    return loadIdentityFile(paths.identity);
  } catch (error) {
    if (!(error instanceof PlexusError) || error.code !== 'passphrase_required') throw error;
  }
  return loadIdentityFile(paths.identity, { passphrase: await passphraseForLoad(paths.identity) });
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
