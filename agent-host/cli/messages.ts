// `plexus agent send`, `ask`, `chat` and `inbox`: end-to-end messages beside (or without) a running agent.
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { parseFlags } from '../../lib/cli/flags.ts';
import { PlexusError } from '../../lib/errors.ts';
import type { LoadedIdentity } from '../../lib/identity/identity-file.ts';
import { createLogger } from '../../lib/log.ts';
import { ReplayGuard } from '../../lib/crypto/replay.ts';
import { Chat } from '../chat.ts';
import { agentPaths, loadAgentConfig } from '../config.ts';
import { HubSession } from '../hub-session.ts';
import { Mailbox } from '../mailbox.ts';
import { ensureIdentityRegistered } from '../registration.ts';
import { PeerClients } from '../p2p/peer-client.ts';
import { PeerKeys } from '../peer-keys.ts';
import { COMMON, out, loadIdentity, type Loaded, loadSetup } from './setup.ts';
import { startRuntime } from './start.ts';

async function withChat<T>(
  setup: Loaded,
  identity: LoadedIdentity,
  fn: (chat: Chat, mailbox: Mailbox) => Promise<T>,
): Promise<T> {
  const log = createLogger({
    name: 'plexus-agent-cli',
    level: setup.config.logLevel,
    file: path.join(setup.paths.logs, 'cli.log'),
  });
  const mailbox = new Mailbox(setup.paths.database, log);
  const session = new HubSession({
    hubUrl: setup.hubUrl,
    identity,
    log,
    timeoutMs: setup.config.messageTimeoutMs,
    clientName: 'plexus-agent-cli',
  });
  const { p2p, messageTimeoutMs } = setup.config;
  try {
    await session.open();
    const registered = await ensureIdentityRegistered(session, setup.paths.identity, identity, log);
    const peers = p2p.direct
      ? new PeerClients({
          identity: registered,
          timeoutMs: messageTimeoutMs,
          askTimeoutMs: p2p.askTimeoutMs,
          allowAddresses: p2p.allowAddresses,
          log,
        })
      : null;
    try {
      const keys = new PeerKeys({ identity: () => session.servers.identity });
      const direct = peers ? { peers, log } : null;
      return await fn(new Chat(registered, mailbox, () => session, keys, direct), mailbox);
    } finally {
      await peers?.close();
    }
  } finally {
    await session.close();
    mailbox.close();
    log.flush();
  }
}

/** `--to` and the text of send and ask. */
function addressed(argv: string[]) {
  const { values, positionals } = parseFlags(
    argv,
    { ...COMMON, to: { type: 'string' }, thread: { type: 'string' } },
    true,
  );
  if (!values.to)
    throw new PlexusError('invalid', 'config_invalid', '--to <did|name> is required', { field: 'to' });
  const text = positionals.join(' ');
  if (!text)
    throw new PlexusError('invalid', 'config_invalid', 'the message text is missing', { field: 'text' });
  return { values, to: values.to, text };
}

export async function send(argv: string[]): Promise<number> {
  const { values, to, text } = addressed(argv);
  const setup = loadSetup(values.dir, values.hub);
  const identity = await loadIdentity(setup.paths);
  const sent = await withChat(setup, identity, (chat) => chat.send(to, text, values.thread));
  out(describeSent(sent));
  return 0;
}

function describeSent(sent: Awaited<ReturnType<Chat['send']>>): string {
  const way = sent.via === 'direct' ? 'directly' : 'through the hub';
  return `sent ${sent.id} to ${sent.recipient.name ?? ''} (${sent.recipient.did}) ${way}`;
}

export async function ask(argv: string[]): Promise<number> {
  const { values, to, text } = addressed(argv);
  const setup = loadSetup(values.dir, values.hub);
  const identity = await loadIdentity(setup.paths);
  const replay = new ReplayGuard({ maxAgeMs: Infinity });
  const { answer, from } = await withChat(setup, identity, (chat) => chat.ask(to, text, replay));
  out(`${from.name ?? from.did}: ${answer}`);
  return 0;
}

function formatMessage(m: {
  direction: string;
  peer: string;
  peerName: string | null;
  sentAt: number;
  text: string;
}): string {
  const who = `${m.peerName ?? '?'} (${m.peer})`;
  return `${new Date(m.sentAt).toISOString()}  ${m.direction === 'in' ? 'from' : 'to  '} ${who}  ${m.text}`;
}

export function inbox(argv: string[]): number {
  const { values } = parseFlags(argv, {
    ...COMMON,
    all: { type: 'boolean' },
    limit: { type: 'string', default: '50' },
    json: { type: 'boolean' },
  });
  const limit = Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 10_000)
    throw new PlexusError('invalid', 'config_invalid', '--limit: must be an integer from 1 to 10000', {
      field: 'limit',
    });
  const paths = agentPaths(values.dir, loadAgentConfig(values.dir));
  if (!fs.existsSync(paths.identity))
    throw new PlexusError(
      'not_found',
      'identity_file_missing',
      `no identity at ${paths.identity}; run plexus agent init`,
    );
  const mailbox = new Mailbox(paths.database);
  try {
    const messages = mailbox.list({ limit, ...(values.all ? {} : { direction: 'in' as const }) });
    if (values.json) out(JSON.stringify(messages));
    else if (messages.length === 0) out('(no messages)');
    else for (const m of messages) out(formatMessage(m));
  } finally {
    mailbox.close();
  }
  return 0;
}

export async function chat(argv: string[]): Promise<number> {
  const { values } = parseFlags(argv, { ...COMMON, to: { type: 'string' } });
  const setup = loadSetup(values.dir, values.hub);
  const identity = await loadIdentity(setup.paths);
  const rl = readline.createInterface({
    input: process.stdin,
    output: process.stdout,
    terminal: process.stdin.isTTY,
  });
  // Iterated from now on: lines typed (or piped) while the agent connects are kept, not lost.
  const lines = rl[Symbol.asyncIterator]();
  // Input may end (piped, Ctrl-D) while lines are still being sent: no prompt after that.
  let open = true;
  rl.on('close', () => (open = false));
  const prompt = (preserveCursor?: boolean) => {
    if (open) rl.prompt(preserveCursor);
  };
  const print = (line: string) => {
    process.stdout.write(`\r${line}\n`);
    prompt(true);
  };
  // Receive in this process unless a `start` already runs for this directory (then show what it stores).
  const started = await startRuntime(setup, identity, undefined, print).catch((error: unknown) => {
    rl.close();
    throw error;
  });
  try {
    await withChat(setup, identity, async (talk, mailbox) => {
      let seen = new Set(mailbox.list({ direction: 'in', limit: 200 }).map((m) => m.id));
      const poll = started
        ? null
        : setInterval(() => {
            const latest = mailbox.list({ direction: 'in', limit: 200 });
            for (const m of latest) if (!seen.has(m.id)) print(formatMessage(m));
            seen = new Set(latest.map((m) => m.id));
          }, 500);
      try {
        await converse(talk, rl, lines, { to: values.to ?? null, name: identity.card.name, print, prompt });
      } finally {
        if (poll) clearInterval(poll);
      }
    });
  } finally {
    rl.close();
    await started?.stop();
  }
  return 0;
}

/** The chat prompt: a line is sent to the current recipient; "@name text" picks one; "/quit" leaves. */
async function converse(
  talk: Chat,
  rl: readline.Interface,
  lines: AsyncIterableIterator<string>,
  io: { to: string | null; name: string; print: (line: string) => void; prompt: () => void },
): Promise<void> {
  const { name, print, prompt } = io;
  let to = io.to;
  out(`chatting as ${name}; "@name text" sends to name, "/quit" leaves`);
  rl.setPrompt(to ? `${to}> ` : '> ');
  prompt();
  for await (const line of lines) {
    const trimmed = line.trim();
    if (trimmed === '/quit' || trimmed === '/exit') break;
    let text = trimmed;
    const addressed = /^@(\S+)\s*(.*)$/.exec(trimmed);
    if (addressed) {
      to = addressed[1] ?? null;
      text = addressed[2] ?? '';
      rl.setPrompt(`${to}> `);
    }
    if (text && !to) print('no recipient: start with @name');
    else if (text && to) {
      try {
        print(describeSent(await talk.send(to, text)));
      } catch (error) {
        print(`not sent: ${(error as Error).message}`);
      }
    }
    prompt();
  }
}
