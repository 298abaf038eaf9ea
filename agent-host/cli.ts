import { runVerbs, verbGroup, type Verb } from '../lib/cli/errors.ts';
import { init, revoke, whoami } from './cli/identity.ts';
import { rotateKey } from './cli/rotate-key.ts';
import { ask, chat, inbox, send } from './cli/messages.ts';
import { start } from './cli/start.ts';
import { AGENT_TOOL_VERBS, TOOLS_USAGE } from './cli/tools.ts';
import { vouch } from './cli/vouch.ts';
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
  rotate-key [--json]                     sign with a new key from now on (recorded at the hub; the agent
                                          must be stopped; identity.json keeps the old keys)
  revoke --yes [--reason R]               revoke this identity at the hub (final)
  tools  install|update|list|remove …     sandboxed tool packages from the registry (plexus agent tools --help)
  vouch  <name|did> [--reason R] [--weight 1..100] [--against]
                                          sign that you trust an agent (or, --against, that you do not);
                                          it counts in the trust others see through you

--dir defaults to ./agent; --hub to PLEXUS_HUB, then hubUrl in agent.json, then http://127.0.0.1:7420
(the hub's default address); init --hub records it in agent.json.
An encrypted identity takes its passphrase from PLEXUS_PASSPHRASE or a prompt.`;

const VERBS: Record<string, Verb> = {
  init,
  whoami,
  start,
  send,
  ask,
  chat,
  inbox,
  follow,
  unfollow,
  'rotate-key': rotateKey,
  revoke,
  vouch,
  tools: verbGroup('plexus agent tools', TOOLS_USAGE, AGENT_TOOL_VERBS),
};

/** Fields the agent's verbs and the hub name, as the flags that set them. */
const FLAGS = {
  to: '--to',
  text: '<text>',
  hubUrl: '--hub',
  yes: '--yes',
  limit: '--limit',
  reason: '--reason',
};

export function run(argv: string[]): Promise<number> {
  return runVerbs('plexus agent', USAGE, VERBS, argv, FLAGS);
}
