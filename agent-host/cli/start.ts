// `plexus agent start`: the runtime with its brain, one per agent dir (a lock file), until a signal stops it.
import fs from 'node:fs';
import path from 'node:path';
import { parseFlags } from '../../lib/cli/flags.ts';
import { pathToFileURL } from 'node:url';
import { PlexusError } from '../../lib/errors.ts';
import { updateAgentCard, type LoadedIdentity } from '../../lib/identity/identity-file.ts';
import { createLogger, type Logger } from '../../lib/log.ts';
import { processRuns } from '../../lib/pid.ts';
import { privateDir } from '../../lib/store/private-files.ts';
import type { Brain } from '../brain.ts';
import type { AgentConfig, AgentPaths } from '../config.ts';
import { Mailbox } from '../mailbox.ts';
import type { AgentRuntime } from '../runtime.ts';
import { COMMON, out, loadIdentity, type Loaded, loadSetup } from './setup.ts';

/** The built-in brain when no agent loop is configured: mail is stored and shown, tasks are declined. */
const inboxOnlyBrain: Brain = {
  onMessage: () => Promise.resolve(),
  onTask: (task) =>
    Promise.resolve({
      state: 'failed',
      error: `this agent runs no agent loop and cannot do '${task.capability}'`,
    }),
};

async function loadBrain(
  module: string | undefined,
  options: { config: AgentConfig; paths: AgentPaths; log: Logger; identity: LoadedIdentity },
): Promise<Brain> {
  const candidates = module
    ? [path.resolve(module)]
    : [path.resolve(import.meta.dirname, '../loop/index.ts')].filter((file) => fs.existsSync(file));
  const file = candidates[0];
  if (!file) return inboxOnlyBrain;
  const mod = (await import(pathToFileURL(file).href)) as {
    createBrain?: (o: unknown) => Brain | Promise<Brain>;
  };
  if (typeof mod.createBrain !== 'function')
    throw new PlexusError('invalid', 'brain_invalid', `${file} does not export createBrain(options)`);
  return mod.createBrain({
    config: options.config,
    paths: options.paths,
    dataDir: options.paths.storage,
    log: options.log.child({ part: 'brain' }),
    did: options.identity.did,
    name: options.identity.card.name,
    role: options.identity.card.role,
    signer: { did: options.identity.did, secretKey: options.identity.keys.signing.secretKey },
  });
}

/**
 * One `start` (or key rotation) per agent directory: a pid file created exclusively, taken over when its
 * process is gone.
 */
export function takeLock(paths: AgentPaths, log?: Logger): (() => void) | null {
  const file = path.join(paths.storage, 'agent.pid');
  privateDir(paths.storage, log);
  for (let i = 0; i < 2; i++) {
    try {
      fs.writeFileSync(file, String(process.pid), { flag: 'wx', mode: 0o600 });
      return () => fs.rmSync(file, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      if (processRuns(Number(fs.readFileSync(file, 'utf8')))) return null;
      fs.rmSync(file, { force: true });
    }
  }
  return null;
}

/** Applies name, role and capabilities from agent.json to the card (re-signed with the next version). */
function applyProfile(identity: LoadedIdentity, config: AgentConfig, paths: AgentPaths): LoadedIdentity {
  const changes: { name?: string; role?: string; capabilities?: string[] } = {};
  if (config.name && config.name !== identity.card.name) changes.name = config.name;
  if (config.role && config.role !== identity.card.role) changes.role = config.role;
  if (config.capabilities && config.capabilities.join('\n') !== identity.card.capabilities.join('\n'))
    changes.capabilities = config.capabilities;
  if (Object.keys(changes).length === 0) return identity;
  return { ...identity, card: updateAgentCard(paths.identity, identity, changes) };
}

interface Started {
  runtime: AgentRuntime;
  /** Stops the runtime, then closes its mailbox and lets go of the agent dir. */
  stop(): Promise<void>;
}

export async function startRuntime(
  setup: Loaded,
  identity: LoadedIdentity,
  brainModule: string | undefined,
  say: (line: string) => void,
): Promise<Started | null> {
  const { config, paths, hubUrl } = setup;
  const log = createLogger({
    name: 'plexus-agent',
    level: config.logLevel,
    file: path.join(paths.logs, 'agent.log'),
  });
  const release = takeLock(paths, log);
  if (!release) return null;
  const mailbox = new Mailbox(paths.database, log);
  const closeAll = (): void => {
    mailbox.close();
    release();
    log.flush();
  };
  try {
    const profiled = applyProfile(identity, config, paths);
    const brain = await loadBrain(brainModule, { config, paths, log, identity: profiled });
    // Loaded only to run an agent: the other commands start faster without the loop and its tool servers.
    const { AgentRuntime } = await import('../runtime.ts');
    const runtime = new AgentRuntime({ config, paths, identity: profiled, hubUrl, mailbox, brain, log, say });
    await runtime.start();
    return {
      runtime,
      async stop() {
        await runtime.stop();
        closeAll();
      },
    };
  } catch (error) {
    closeAll();
    throw error;
  }
}

export async function start(argv: string[]): Promise<number> {
  const { values } = parseFlags(argv, { ...COMMON, brain: { type: 'string' } });
  const setup = loadSetup(values.dir, values.hub);
  const identity = await loadIdentity(setup.paths);
  const stopped = Promise.withResolvers<number>();
  let started: Started | null = null;
  let signals = 0;
  // In place before the runtime starts its tool servers, so a signal during start-up stops it cleanly too.
  // The first signal stops gracefully; another one stops without waiting for running tasks.
  const onSignal = () => {
    if (++signals === 1) stopped.resolve(0);
    else started?.runtime.hurry();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    started = await startRuntime(setup, identity, values.brain, out);
    if (!started)
      throw new PlexusError('conflict', 'agent_running', `an agent is already running in ${setup.paths.dir}`);
    out(`agent ready (logs: ${path.join(setup.paths.logs, 'agent.log')})`);
    void started.runtime.fatal.then((error) => {
      console.error(`plexus agent: ${error.message}`);
      stopped.resolve(1);
    });
    const code = await stopped.promise;
    out('stopping');
    await started.stop();
    out('stopped');
    return code;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
