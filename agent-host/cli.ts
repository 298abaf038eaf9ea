import { PlexusError } from '../lib/errors.ts';
import { init, revoke, whoami } from './cli/identity.ts';
import { ask, chat, inbox, send } from './cli/messages.ts';
import { out } from './cli/setup.ts';
import { start } from './cli/start.ts';
import { AGENT_TOOL_VERBS, TOOLS_USAGE } from './cli/tools.ts';
import { follow, unfollow } from './cli/topics.ts';

const USAGE = `usage: plexus agent <verb> [--dir DIR] [--hub URL] …

  init   [--name N] [--role R] [--capability C …] [--passphrase-stdin]   create identity.json and agent.json
  whoami                                  show this agent's DID and card
  start  [--brain MODULE]                 connect to the hub and handle mail and tasks until stopped
  send   --to <did|name> <text…>          send an end-to-end encrypted message (directly when the peer
                                          lists its own endpoint, else through the hub)
  ask    --to <did|name> <text…>          ask a peer at its own endpoint and print its answer
  chat   [--to <did|name>]                interactive chat ("@name text" picks a recipient)
  inbox  [--all] [--limit N] [--json]     list received (with --all: also sent) messages
  follow [topic …]                        follow topics (agent.json "topics"): their deliveries reach the
                                          brain; without a topic, list the followed ones
  unfollow <topic …>                      stop following topics
  revoke --yes [--reason R]               revoke this identity at the hub (final)
  tools  install|update|list|remove …     sandboxed tool packages from the registry (plexus agent tools --help)

--dir defaults to ./agent; --hub to PLEXUS_HUB, then hubUrl in agent.json, then http://127.0.0.1:8000.
An encrypted identity takes its passphrase from PLEXUS_PASSPHRASE or a prompt.`;

type Verbs = Record<string, (argv: string[]) => number | Promise<number>>;

function fail(command: string, error: unknown): number {
  if (error instanceof PlexusError) {
    console.error(`${command}: ${error.message}${error.hint ? `\n  hint: ${error.hint}` : ''}`);
    return error.kind === 'invalid' && error.code === 'config_invalid' ? 2 : 1;
  }
  console.error(`${command}: ${error instanceof Error ? error.message : String(error)}`);
  return 1;
}

/** Verbs with verbs of their own. */
const NESTED: Verbs = {
  tools: (argv) => dispatch('plexus agent tools', TOOLS_USAGE, AGENT_TOOL_VERBS, argv),
};

const VERBS: Verbs = {
  init,
  whoami,
  start,
  send,
  ask,
  chat,
  inbox,
  follow,
  unfollow,
  revoke,
  ...NESTED,
};

/** Runs `<command> <verb> …`: usage on --help, exit code 2 for a usage error, 1 for a failure. */
export async function dispatch(
  command: string,
  usage: string,
  verbs: Verbs,
  argv: string[],
): Promise<number> {
  const [verb, ...rest] = argv;
  if (!verb || verb === '--help' || verb === '-h' || verb === 'help') {
    (verb ? out : console.error)(usage);
    return verb ? 0 : 2;
  }
  const handler = verbs[verb];
  if (!handler) {
    console.error(`${command}: unknown verb '${verb}'\n\n${usage}`);
    return 2;
  }
  // A verb with verbs of its own (tools) prints its own usage.
  if (!(verb in NESTED) && (rest.includes('--help') || rest.includes('-h'))) {
    out(usage);
    return 0;
  }
  try {
    return await handler(rest);
  } catch (error) {
    if (error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS')) {
      console.error(`${command} ${verb}: ${error.message}\n\n${usage}`);
      return 2;
    }
    return fail(command, error);
  }
}

export function run(argv: string[]): Promise<number> {
  return dispatch('plexus agent', USAGE, VERBS, argv);
}
