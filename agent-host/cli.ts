import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { PlexusError } from '../lib/errors.ts';
import {
  createIdentityFile,
  loadIdentityFile,
  updateAgentCard,
  type LoadedIdentity,
} from '../lib/identity/identity-file.ts';
import { createLogger, type Logger } from '../lib/log.ts';
import { signObject, verifyObjectByDid } from '../lib/crypto/signed-object.ts';
import { AgentCard } from '../schemas/agent-card.ts';
import type { Brain } from './brain.ts';
import { Chat } from './chat.ts';
import {
  agentPaths,
  hubUrlOf,
  loadAgentConfig,
  writeDefaultConfig,
  type AgentConfig,
  type AgentPaths,
} from './config.ts';
import { HubSession } from './hub-session.ts';
import { Mailbox } from './mailbox.ts';
import { ensureIdentityRegistered } from './registration.ts';
import { passphraseForLoad, promptHidden, readStdinLine } from './passphrase.ts';
import type { AgentRuntime } from './runtime.ts';
import { PeerClients } from './p2p/peer-client.ts';
import { ReplayGuard } from '../lib/crypto/replay.ts';

const USAGE = `usage: plexus agent <verb> [--dir DIR] [--hub URL] …

  init   [--name N] [--role R] [--capability C …] [--passphrase-stdin]   create identity.json and agent.json
  whoami                                  show this agent's DID and card
  start  [--brain MODULE]                 connect to the hub and handle mail and tasks until stopped
  send   --to <did|name> <text…>          send an end-to-end encrypted message (directly when the peer
                                          lists its own endpoint, else through the hub)
  ask    --to <did|name> <text…>          ask a peer at its own endpoint and print its answer
  chat   [--to <did|name>]                interactive chat ("@name text" picks a recipient)
  inbox  [--all] [--limit N] [--json]     list received (with --all: also sent) messages
  revoke --yes [--reason R]               revoke this identity at the hub (final)

--dir defaults to ./agent; --hub to PLEXUS_HUB, then hubUrl in agent.json, then http://127.0.0.1:8000.
An encrypted identity takes its passphrase from PLEXUS_PASSPHRASE or a prompt.`;

const COMMON = {
  dir: { type: 'string', default: 'agent' },
  hub: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

function out(line: string): void {
  process.stdout.write(`${line}\n`);
}

function fail(error: unknown): number {
  if (error instanceof PlexusError) {
    console.error(`plexus agent: ${error.message}${error.hint ? `\n  hint: ${error.hint}` : ''}`);
    return error.kind === 'invalid' && error.code === 'config_invalid' ? 2 : 1;
  }
  console.error(`plexus agent: ${error instanceof Error ? error.message : String(error)}`);
  return 1;
}

async function loadIdentity(paths: AgentPaths): Promise<LoadedIdentity> {
  try {
    return loadIdentityFile(paths.identity);
  } catch (error) {
    if (!(error instanceof PlexusError) || error.code !== 'passphrase_required') throw error;
  }
  return loadIdentityFile(paths.identity, { passphrase: await passphraseForLoad(paths.identity) });
}

interface Loaded {
  config: AgentConfig;
  paths: AgentPaths;
  hubUrl: string;
}

function loadSetup(dir: string, hubFlag: string | undefined): Loaded {
  const config = loadAgentConfig(dir);
  return { config, paths: agentPaths(dir, config), hubUrl: hubUrlOf(config, hubFlag) };
}

// ---- init / whoami ----

async function init(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      ...COMMON,
      name: { type: 'string' },
      role: { type: 'string', default: 'assistant' },
      capability: { type: 'string', multiple: true },
      'passphrase-stdin': { type: 'boolean' },
    },
  });
  const paths = agentPaths(values.dir);
  if (fs.existsSync(paths.identity)) {
    throw new PlexusError(
      'conflict',
      'identity_file_exists',
      `${paths.identity} already exists; refusing to overwrite an identity`,
    );
  }
  let passphrase: string | undefined;
  if (values['passphrase-stdin']) passphrase = await readStdinLine();
  else if (process.env['PLEXUS_PASSPHRASE']) passphrase = process.env['PLEXUS_PASSPHRASE'];
  else {
    const typed = await promptHidden('Passphrase to encrypt the identity (empty: none): ');
    if (typed) {
      const again = await promptHidden('Again: ');
      if (again !== typed) throw new PlexusError('invalid', 'passphrase_mismatch', 'the passphrases differ');
      passphrase = typed;
    }
  }
  if (passphrase === '')
    throw new PlexusError('invalid', 'invalid_input', 'passphrase: must not be empty', {
      field: 'passphrase',
    });
  const name = values.name ?? path.basename(paths.dir);
  const identity = createIdentityFile(
    paths.identity,
    { name, role: values.role, capabilities: values.capability ?? [] },
    passphrase !== undefined ? { passphrase } : {},
  );
  writeDefaultConfig(values.dir, values.hub ? { hubUrl: values.hub } : {});
  fs.mkdirSync(paths.logs, { recursive: true, mode: 0o700 });
  out(`created ${paths.identity}${identity.encrypted ? ' (encrypted)' : ' (NOT encrypted: no passphrase)'}`);
  out(`did   ${identity.did}`);
  out(`name  ${name}   role ${values.role}`);
  return 0;
}

function whoami(argv: string[]): number {
  const { values } = parseArgs({ args: argv, options: { ...COMMON, json: { type: 'boolean' } } });
  const paths = agentPaths(values.dir);
  // The DID and card are public: no passphrase needed. loadIdentityFile checks the rest when one is given.
  let file: { did?: unknown; card?: unknown; sealed?: unknown };
  try {
    file = JSON.parse(fs.readFileSync(paths.identity, 'utf8')) as typeof file;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT')
      throw new PlexusError(
        'not_found',
        'identity_file_missing',
        `no identity at ${paths.identity}; run plexus agent init`,
      );
    throw new PlexusError('invalid', 'identity_file_corrupted', `${paths.identity} is not valid JSON`);
  }
  const card = AgentCard.safeParse(file.card);
  if (!card.success || card.data.did !== file.did || !verifyObjectByDid(card.data, card.data.did))
    throw new PlexusError(
      'invalid',
      'identity_file_corrupted',
      `${paths.identity}: the card is missing or not signed by its DID`,
    );
  if (values.json) {
    out(
      JSON.stringify({ did: card.data.did, encrypted: file.sealed !== undefined, card: card.data }, null, 2),
    );
    return 0;
  }
  out(`did           ${card.data.did}`);
  out(`name          ${card.data.name}`);
  out(`role          ${card.data.role}`);
  out(`capabilities  ${card.data.capabilities.join(', ') || '(none)'}`);
  out(`keyAgreement  ${card.data.keyAgreement}`);
  out(`card version  ${card.data.version}`);
  out(`encrypted     ${file.sealed !== undefined ? 'yes' : 'no'}`);
  out(`directory     ${paths.dir}`);
  return 0;
}

// ---- start ----

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
    : [path.resolve(import.meta.dirname, 'loop/index.ts')].filter((file) => fs.existsSync(file));
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

/** One `start` per agent directory: a pid file created exclusively, taken over when its process is gone. */
function takeLock(paths: AgentPaths): (() => void) | null {
  const file = path.join(paths.storage, 'agent.pid');
  fs.mkdirSync(paths.storage, { recursive: true, mode: 0o700 });
  for (let i = 0; i < 2; i++) {
    try {
      fs.writeFileSync(file, String(process.pid), { flag: 'wx', mode: 0o600 });
      return () => fs.rmSync(file, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const pid = Number(fs.readFileSync(file, 'utf8'));
      try {
        process.kill(pid, 0);
        return null;
      } catch {
        fs.rmSync(file, { force: true });
      }
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
  release: () => void;
  mailbox: Mailbox;
}

async function startRuntime(
  setup: Loaded,
  identity: LoadedIdentity,
  brainModule: string | undefined,
  say: (line: string) => void,
): Promise<Started | null> {
  const { config, paths, hubUrl } = setup;
  const release = takeLock(paths);
  if (!release) return null;
  const log = createLogger({
    name: 'plexus-agent',
    level: config.logLevel,
    file: path.join(paths.logs, 'agent.log'),
  });
  const mailbox = new Mailbox(paths.database);
  try {
    const profiled = applyProfile(identity, config, paths);
    const brain = await loadBrain(brainModule, { config, paths, log, identity: profiled });
    // Loaded only to run an agent: the other commands start faster without the loop and its tool servers.
    const { AgentRuntime } = await import('./runtime.ts');
    const runtime = new AgentRuntime({ config, paths, identity: profiled, hubUrl, mailbox, brain, log, say });
    await runtime.start();
    return { runtime, release, mailbox };
  } catch (error) {
    mailbox.close();
    release();
    log.flush();
    throw error;
  }
}

async function start(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { ...COMMON, brain: { type: 'string' } } });
  const setup = loadSetup(values.dir, values.hub);
  const identity = await loadIdentity(setup.paths);
  const started = await startRuntime(setup, identity, values.brain, out);
  if (!started)
    throw new PlexusError('conflict', 'agent_running', `an agent is already running in ${setup.paths.dir}`);
  out(`agent ready (logs: ${path.join(setup.paths.logs, 'agent.log')})`);
  const stopped = Promise.withResolvers<number>();
  let signals = 0;
  // The first signal stops gracefully; another one stops without waiting for running tasks.
  const onSignal = () => {
    if (++signals === 1) stopped.resolve(0);
    else started.runtime.hurry();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  void started.runtime.fatal.then((error) => {
    console.error(`plexus agent: ${error.message}`);
    stopped.resolve(1);
  });
  const code = await stopped.promise;
  out('stopping');
  await started.runtime.stop();
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  started.mailbox.close();
  started.release();
  out('stopped');
  return code;
}

// ---- send / chat / inbox ----

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
  const mailbox = new Mailbox(setup.paths.database);
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
      return await fn(new Chat(registered, mailbox, () => session, peers ? { peers, log } : null), mailbox);
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
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { ...COMMON, to: { type: 'string' }, thread: { type: 'string' } },
  });
  if (!values.to)
    throw new PlexusError('invalid', 'config_invalid', '--to <did|name> is required', { field: 'to' });
  const text = positionals.join(' ');
  if (!text)
    throw new PlexusError('invalid', 'config_invalid', 'the message text is missing', { field: 'text' });
  return { values, to: values.to, text };
}

async function send(argv: string[]): Promise<number> {
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

async function ask(argv: string[]): Promise<number> {
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

function inbox(argv: string[]): number {
  const { values } = parseArgs({
    args: argv,
    options: {
      ...COMMON,
      all: { type: 'boolean' },
      limit: { type: 'string', default: '50' },
      json: { type: 'boolean' },
    },
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

async function chat(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { ...COMMON, to: { type: 'string' } } });
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
    if (started) {
      await started.runtime.stop();
      started.mailbox.close();
      started.release();
    }
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

async function revoke(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { ...COMMON, reason: { type: 'string' }, yes: { type: 'boolean' } },
  });
  if (!values.yes)
    throw new PlexusError('invalid', 'config_invalid', 'revoking is final: confirm with --yes', {
      field: 'yes',
    });
  const setup = loadSetup(values.dir, values.hub);
  const identity = await loadIdentity(setup.paths);
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
    await ensureIdentityRegistered(session, setup.paths.identity, identity, log);
    const { log_head: head } = await session.call<{ log_head: { seq: number; hash: string } }>(
      'identity__resolve_did',
      { did: identity.did },
    );
    const statement = signObject(
      {
        type: 'plexus/revocation',
        did: identity.did,
        seq: head.seq + 1,
        prev: head.hash,
        ...(values.reason ? { reason: values.reason } : {}),
        issuedAt: Date.now(),
      },
      identity.keys.signing.secretKey,
    );
    await session.call('identity__revoke_identity', { statement });
  } finally {
    await session.close();
    log.flush();
  }
  out(`revoked ${identity.did}; the hub refuses it from now on`);
  return 0;
}

const VERBS: Record<string, (argv: string[]) => number | Promise<number>> = {
  init,
  whoami,
  start,
  send,
  ask,
  chat,
  inbox,
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
