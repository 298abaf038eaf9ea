import { PlexusError } from '../lib/errors.ts';
import { init, revoke, whoami } from './cli/identity.ts';
import { ask, chat, inbox, send } from './cli/messages.ts';
import { out } from './cli/setup.ts';
import { start } from './cli/start.ts';
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

--dir defaults to ./agent; --hub to PLEXUS_HUB, then hubUrl in agent.json, then http://127.0.0.1:8000.
An encrypted identity takes its passphrase from PLEXUS_PASSPHRASE or a prompt.`;

function fail(error: unknown): number {
  if (error instanceof PlexusError) {
    console.error(`plexus agent: ${error.message}${error.hint ? `\n  hint: ${error.hint}` : ''}`);
    return error.kind === 'invalid' && error.code === 'config_invalid' ? 2 : 1;
  }
  console.error(`plexus agent: ${error instanceof Error ? error.message : String(error)}`);
  return 1;
}

const VERBS: Record<string, (argv: string[]) => number | Promise<number>> = {
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
};

export async function run(argv: string[]): Promise<number> {
  const [verb, ...rest] = argv;
  if (!verb || verb === '--help' || verb === '-h' || verb === 'help') {
    (verb ? out : console.error)(USAGE);
    return verb ? 0 : 2;
  }
  const handler = VERBS[verb];
  if (!handler) {
    console.error(`plexus agent: unknown verb '${verb}'\n\n${USAGE}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    out(USAGE);
    return 0;
  }
  try {
    return await handler(rest);
  } catch (error) {
    if (error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS')) {
      console.error(`plexus agent ${verb}: ${error.message}\n\n${USAGE}`);
      return 2;
    }
    return fail(error);
  }
}
