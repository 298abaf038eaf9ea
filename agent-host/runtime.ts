import { ReplayGuard } from '../lib/crypto/replay.ts';
import { PlexusError } from '../lib/errors.ts';
import type { Logger } from '../lib/log.ts';
import { TASK_ASSIGN, TASK_CANCEL } from '../servers/registry/domain/dispatcher.ts';
import type { AgentContext, Brain, IncomingMessage } from './brain.ts';
import { CHAT_TYPE, Chat, openIncoming, textOf, topicOf, type OpenedEnvelope } from './chat.ts';
import type { AgentConfig, AgentPaths } from './config.ts';
import { HubBusyError } from './hub-pacing.ts';
import { connectionLost, HubSession, type Watch } from './hub-session.ts';
import { Inbox, type InboxOptions, type Taken } from './inbox.ts';
import { defaultServers } from './local-tools.ts';
import { LocalTools } from '../lib/mcp/local-tools.ts';
import type { Mailbox, Queue } from './mailbox.ts';
import { PeerClients } from './p2p/peer-client.ts';
import { PeerKeys } from './peer-keys.ts';
import { Processing } from './processing.ts';
import { TaskRunner } from './tasks.ts';
import { FollowedTopics } from './topics.ts';
import { servePeerEndpoint, type PeerHandlers } from './p2p/server.ts';
import type { HttpServing } from '../lib/mcp/serve-http.ts';
import { updateAgentCard, type LoadedIdentity } from '../lib/identity/identity-file.ts';
import { ensureIdentityRegistered } from './registration.ts';
import { identityRevoked } from './revoked.ts';
import { revocationText } from '../lib/identity/revocation.ts';

/**
 * A running agent: one hub session at a time (token, card registration, heartbeats, inbox, event and topic
 * subscriptions), reconnected with backoff whenever the hub goes away (a busy hub only slows it down); mail
 * taken from the router inbox (`Inbox`), verified, opened, stored locally and then acked, while `Processing` hands
 * it from the store to the brain and tasks to the task runner, each once.
 */
const EVENTS_CURSOR = 'events_cursor';
/** Identity events after which a peer's cached contact (key-agreement key, endpoint) may be stale. */
const PEER_CARD_EVENTS = new Set(['identity.updated', 'identity.rotated', 'identity.revoked']);
const MAX_BACKOFF_MS = 60_000;

export interface RuntimeOptions {
  config: AgentConfig;
  paths: AgentPaths;
  identity: LoadedIdentity;
  hubUrl: string;
  mailbox: Mailbox;
  brain: Brain;
  log: Logger;
  /** Human-readable progress lines (the CLI prints them). */
  say?: (line: string) => void;
}

export class AgentRuntime {
  readonly #o: RuntimeOptions;
  readonly #tools: LocalTools;
  readonly #chat: Chat;
  readonly #replay = new ReplayGuard({ maxAgeMs: Infinity });
  readonly #tasks: TaskRunner;
  #identity: LoadedIdentity;
  #session: HubSession | null = null;
  #registryDid: string | null = null;
  #timers: NodeJS.Timeout[] = [];
  #reconnectTimer: NodeJS.Timeout | null = null;
  #attempt = 0;
  #stopping = false;
  /** Aborted when the agent stops: work in flight (messages, questions) ends with it. */
  readonly #halt = new AbortController();
  /** Resolved by a second stop signal: stop waits for nothing more. */
  readonly #hurried = Promise.withResolvers<void>();
  /** The connection's inbox, while connected. */
  #inbox: Inbox | null = null;
  readonly #processing: Processing;
  readonly #topics: FollowedTopics;
  readonly #fatal = Promise.withResolvers<PlexusError>();
  readonly #peers: PeerClients | null;
  /** Peers' signing keys from their identity logs, while connected. */
  readonly #keys = new PeerKeys({ identity: () => this.#session?.servers.identity ?? null });
  #endpoint: HttpServing | null = null;

  constructor(options: RuntimeOptions) {
    this.#o = options;
    this.#identity = options.identity;
    this.#tools = new LocalTools(options.log.child({ part: 'tools' }));
    const { p2p, messageTimeoutMs } = options.config;
    const log = options.log.child({ part: 'p2p' });
    this.#peers = p2p.direct
      ? new PeerClients({
          identity: this.#identity,
          timeoutMs: messageTimeoutMs,
          askTimeoutMs: p2p.askTimeoutMs,
          allowAddresses: p2p.allowAddresses,
          log,
        })
      : null;
    this.#chat = new Chat(
      this.#identity,
      options.mailbox,
      () => this.#requireSession(),
      this.#keys,
      this.#peers ? { peers: this.#peers, log } : null,
    );
    this.#tasks = new TaskRunner({
      brain: options.brain,
      maxConcurrent: options.config.maxConcurrentTasks,
      graceMs: options.config.shutdownGraceMs,
      session: () => this.#requireSession(),
      context: (signal) => this.#context(signal),
      say: (line) => this.#say(line),
      log: options.log,
    });
    this.#processing = new Processing({
      mailbox: options.mailbox,
      brain: options.brain,
      tasks: this.#tasks,
      context: () => (this.#session ? this.#context() : null),
      say: (line) => this.#say(line),
      log: options.log,
    });
    this.#topics = new FollowedTopics({
      dir: options.paths.dir,
      initial: options.config.topics,
      mailbox: options.mailbox,
      say: (line) => this.#say(line),
      log: options.log,
    });
  }

  /** The agent's own MCP endpoint, when it serves one. */
  get endpoint(): string | null {
    return this.#endpoint?.url ?? null;
  }

  get did(): string {
    return this.#identity.did;
  }

  /** Resolves when the runtime must stop for good (e.g. the identity was revoked). */
  get fatal(): Promise<PlexusError> {
    return this.#fatal.promise;
  }

  #say(line: string): void {
    this.#o.say?.(line);
  }

  #requireSession(): HubSession {
    if (!this.#session) throw new PlexusError('unavailable', 'hub_unreachable', 'not connected to the hub');
    return this.#session;
  }

  /**
   * Starts local tool servers and the agent's own endpoint (when configured), then connects; the first
   * connection must succeed (else it throws).
   */
  async start(): Promise<void> {
    const { config, paths } = this.#o;
    await this.#tools.start(
      { ...defaultServers(config, paths), ...config.mcpServers },
      config.messageTimeoutMs,
    );
    try {
      if (config.p2p.listen) {
        this.#endpoint = await servePeerEndpoint({
          identity: this.#identity,
          handlers: this.peerHandlers,
          host: config.p2p.host,
          port: config.p2p.port,
          publicUrl: config.p2p.publicUrl,
          checkPeer: (did) => this.#checkPeer(did),
          keyFor: (did, fresh) => this.#keys.current(did, fresh),
          limits: config.p2p.limits,
          log: this.#o.log.child({ part: 'p2p' }),
        });
        this.#say(`own endpoint at ${this.#endpoint.url}`);
      }
      this.#publishEndpoint(this.#endpoint?.url ?? null);
      const waiting = this.#o.mailbox.unprocessedCount();
      if (waiting > 0) this.#say(`${waiting} stored message(s) not handled yet; resuming them`);
      await this.#connect();
    } catch (error) {
      await this.#endpoint?.close();
      await this.#tools.close();
      throw error;
    }
  }

  /** Keeps the card's endpoint true: peers must not be sent to an endpoint this agent no longer serves. */
  #publishEndpoint(url: string | null): void {
    const { mcp, ...others } = this.#identity.card.endpoints;
    if ((mcp ?? null) === url) return;
    const card = updateAgentCard(this.#o.paths.identity, this.#identity, {
      endpoints: url ? { ...others, mcp: url } : others,
    });
    this.#identity = { ...this.#identity, card };
  }

  /**
   * Refuses revoked peers on the own endpoint (their cached contact dropped with it). When the hub cannot
   * tell, the signature has to do.
   */
  async #checkPeer(did: string): Promise<void> {
    try {
      await this.#chat.resolve(did);
    } catch (error) {
      if (error instanceof PlexusError && error.code === 'recipient_revoked')
        throw new PlexusError('forbidden', 'peer_revoked', `${did} is revoked`);
    }
  }

  async #connect(): Promise<void> {
    const { config, log, hubUrl } = this.#o;
    let watch: Watch | null;
    let inbox: Inbox;
    const session = new HubSession({
      hubUrl,
      identity: this.#identity,
      log,
      timeoutMs: config.messageTimeoutMs,
      clientName: `plexus-agent ${this.#identity.card.name}`,
      // Any call may be the first to hear it; the agent stops whichever it is.
      onRevoked: (error) => this.#fatal.resolve(error),
    });
    try {
      await session.open();
      this.#identity = await ensureIdentityRegistered(session, this.#o.paths.identity, this.#identity, log);
      const { registry } = session.servers;
      const info = await registry.getRegistryInfo({});
      this.#registryDid = info.did;
      await registry.registerAgent({ card: this.#identity.card });
      const inboxUri = `plexus://inbox/${this.did}`;
      session.client.setNotificationHandler('notifications/resources/updated', (note) => {
        if (note.params.uri === inboxUri) this.#inbox?.drain();
        else if (note.params.uri === 'plexus://events') void this.#drainEvents();
      });
      session.client.onclose = () => {
        if (this.#session === session) this.#lost(new Error('hub session closed'));
      };
      inbox = await Inbox.open(this.#inboxOptions(), session);
      // Mail answers a waiting receive: the hub need not tell of it (an older hub's inbox is watched).
      watch = await this.#watch(
        session,
        inbox.receives ? ['plexus://events'] : [inboxUri, 'plexus://events'],
      );
      this.#topics.refresh();
      await this.#topics.sync(session);
      this.#session = session;
      this.#inbox = inbox;
      // A listen stream that ends is a lost connection, as a 2025-era session that closes is.
      void watch?.ended.then((reason) => {
        if (this.#session === session) this.#lost(new Error(`the hub ended the listen stream (${reason})`));
      });
      const heartbeatMs = Math.min(config.heartbeatIntervalMs, info.heartbeat_interval_ms);
      this.#timers = [
        setInterval(() => void this.#heartbeat(), heartbeatMs),
        // Notifications can be lost while a stream reconnects: an older hub's inbox is polled too, which also
        // notices a dead hub. A drain in progress sees what a poll would (a poll that asked for another would
        // keep a slow one, e.g. against a busy hub, going forever). A waiting receive needs no poll, but the
        // followed topics are still looked at: a change must not wait for mail.
        setInterval(
          () => {
            if (inbox.receives)
              this.#syncTopics(session).catch((error: unknown) => {
                if (connectionLost(error)) this.#lost(error);
                else log.warn({ err: error }, 'topic subscriptions not updated; tried again later');
              });
            else if (!inbox.draining) inbox.drain();
          },
          watch ? config.reconnectIntervalMs : config.inboxPollMs,
        ),
      ];
    } catch (error) {
      await session.close();
      throw error;
    }
    this.#attempt = 0;
    const protocol = session.protocolVersion;
    log.info(
      { hub: hubUrl, did: this.did, protocol, updates: watch?.via ?? 'poll', inbox: inbox.mode },
      'connected',
    );
    this.#say(`connected to ${hubUrl} (MCP ${protocol}) as ${this.#identity.card.name} (${this.did})`);
    await this.#heartbeat();
    await this.#drainEvents();
    // What was stored but not handled (a lost connection, a restart) goes first.
    this.#processing.kick();
    await inbox.start();
  }

  #inboxOptions(): InboxOptions {
    const { config, log } = this.#o;
    return {
      mailbox: this.#o.mailbox,
      take: (raw) => this.#take(raw),
      stored: () => this.#processing.kick(),
      beforeDrain: (session) => this.#syncTopics(session),
      lost: (error) => this.#lost(error),
      timeoutMs: config.messageTimeoutMs,
      retryMs: config.inboxPollMs,
      log,
    };
  }

  /** Subscribes at the router to the topics followed now, when they changed since the last look. */
  async #syncTopics(session: HubSession): Promise<void> {
    if (this.#topics.refresh()) await this.#topics.sync(session);
  }

  /**
   * Watches resources for updates (a listen stream over 2026-07-28, subscriptions over the 2025 handshake);
   * null when the hub refuses (the runtime then polls more often).
   */
  async #watch(session: HubSession, uris: string[]): Promise<Watch | null> {
    try {
      return await session.watch(uris);
    } catch (error) {
      this.#o.log.warn({ err: error }, 'resource updates refused; polling the inbox instead');
      return null;
    }
  }

  #lost(error: unknown): void {
    const session = this.#session;
    if (!session || this.#stopping) return;
    this.#session = null;
    for (const timer of this.#timers) clearInterval(timer);
    this.#timers = [];
    void this.#inbox?.close();
    this.#inbox = null;
    this.#o.log.warn({ err: error }, 'hub connection lost');
    this.#say('hub connection lost; reconnecting');
    void session.close();
    this.#scheduleReconnect();
  }

  /** Reconnects after a backoff, and not before `notBeforeMs` (what a busy hub asked for). */
  #scheduleReconnect(notBeforeMs = 0): void {
    if (this.#stopping || this.#reconnectTimer) return;
    const base = this.#o.config.reconnectIntervalMs;
    const backoff =
      Math.min(base * 2 ** Math.min(this.#attempt, 10), MAX_BACKOFF_MS) * (0.8 + Math.random() * 0.4);
    const delay = Math.max(backoff, notBeforeMs);
    this.#attempt += 1;
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = null;
      this.#connect().catch((error: unknown) => {
        if (error instanceof PlexusError && error.code === 'identity_revoked') {
          this.#fatal.resolve(error);
          return;
        }
        this.#o.log.warn({ err: error, attempt: this.#attempt }, 'reconnect failed');
        this.#scheduleReconnect(error instanceof HubBusyError ? error.retryAfterMs : 0);
      });
    }, delay);
  }

  /** Stops waiting for running work: a stop in progress hands tasks back now. */
  hurry(): void {
    this.#hurried.resolve();
    this.#tasks.hurry();
  }

  async #heartbeat(): Promise<void> {
    const session = this.#session;
    if (!session) return;
    try {
      await session.servers.registry.heartbeat({
        status: 'online',
        load: Math.min(1, this.#tasks.size / this.#o.config.maxConcurrentTasks),
        active_tasks: this.#tasks.size,
      });
    } catch (error) {
      if (connectionLost(error)) this.#lost(error);
      else if (error instanceof PlexusError && error.code === 'agent_not_registered') {
        // The registry forgot this agent (its state was reset): register the card again.
        await session.servers.registry
          .registerAgent({ card: this.#identity.card })
          .catch((again: unknown) => this.#o.log.warn({ err: again }, 'registration refused'));
      } else this.#o.log.warn({ err: error }, 'heartbeat refused');
    }
  }

  /** Verifies, opens and stores one inbox delivery; a delivery for a topic not followed is left alone. */
  async #take(raw: Record<string, unknown>): Promise<Taken> {
    const { log } = this.#o;
    const topic = topicOf(raw['recipient']);
    if (topic !== null && !this.#topics.follows(topic)) {
      log.debug({ id: raw['id'], topic }, 'delivery for a topic not followed; left to expire');
      return 'left';
    }
    let opened: OpenedEnvelope;
    try {
      opened = await openIncoming(raw, this.#identity, this.#replay, this.#keys, topic !== null);
    } catch (error) {
      if (error instanceof PlexusError && error.kind === 'unavailable') {
        // The sender's keys could not be looked up: not the message's fault, so it waits for the next drain.
        log.warn({ id: raw['id'], sender: raw['sender'], err: error }, 'message left for later');
        return 'left';
      }
      log.warn({ id: raw['id'], sender: raw['sender'], err: error }, 'message refused');
      return 'refused';
    }
    const { envelope } = opened;
    const task = envelope.type === TASK_ASSIGN || envelope.type === TASK_CANCEL;
    if (task && (topic !== null || envelope.sender !== this.#registryDid)) {
      log.warn({ id: envelope.id, sender: envelope.sender }, 'task envelope not from the registry; dropped');
      return 'refused';
    }
    await this.#store(
      opened,
      task ? 'tasks' : topic !== null || envelope.type === CHAT_TYPE ? 'brain' : null,
    );
    return 'stored';
  }

  /**
   * Puts an opened envelope in the mailbox, waiting in `queue` to be handed over (null: nothing to do, or
   * handled at once by the caller); returns it as the brain sees it.
   */
  async #store({ envelope, content }: OpenedEnvelope, queue: Queue | null): Promise<IncomingMessage> {
    const { log, mailbox } = this.#o;
    const topic = topicOf(envelope.recipient);
    const readable = envelope.type === CHAT_TYPE || topic !== null;
    const claimed = (content as { from_name?: unknown } | null)?.from_name;
    const fromName = readable
      ? ((await this.#nameOf(envelope.sender)) ?? (typeof claimed === 'string' ? claimed : null))
      : null;
    const text = readable ? textOf(content) : `${envelope.type} ${JSON.stringify(content)}`;
    mailbox.put({
      id: envelope.id,
      direction: 'in',
      peer: envelope.sender,
      peerName: fromName,
      thread: envelope.thread ?? null,
      type: envelope.type,
      text,
      content,
      sentAt: envelope.timestamp,
      topic,
      queue,
    });
    log.info({ id: envelope.id, type: envelope.type, from: envelope.sender, topic }, 'message stored');
    return {
      id: envelope.id,
      from: envelope.sender,
      ...(fromName ? { fromName } : {}),
      ...(envelope.thread ? { thread: envelope.thread } : {}),
      text,
      content,
      receivedAt: Date.now(),
    };
  }

  /**
   * The handlers of the agent's own endpoint (P2P). Only chat comes directly (tasks come from the registry
   * through the hub), and only from its own sender: the calling peer.
   */
  readonly peerHandlers: PeerHandlers = {
    deliver: async (peer, raw) => {
      this.#checkDirect(peer, raw);
      const id = raw['id'] as string;
      if (this.#o.mailbox.hasReceived(id)) return { id, status: 'duplicate' };
      await this.#store(await openIncoming(raw, this.#identity, this.#replay, this.#keys), 'brain');
      this.#processing.kick();
      return { id, status: 'stored' };
    },
    ask: async (peer, raw, signal) => {
      this.#checkDirect(peer, raw);
      // Answered within this call: stored as handled.
      const message = await this.#store(
        await openIncoming(raw, this.#identity, this.#replay, this.#keys),
        null,
      );
      this.#say(`question from ${message.fromName ?? peer}: ${message.text}`);
      let answer: string | null = null;
      const context = this.#context(signal, async (to, text) => {
        if (to !== peer || answer !== null)
          return this.#chat.send(to, text, undefined, true).then(() => undefined);
        answer = text;
      });
      await this.#o.brain.onMessage(message, context);
      return this.#chat.seal(peer, answer ?? '(no answer)', message.thread, true);
    },
  };

  #checkDirect(peer: string, raw: Record<string, unknown>): void {
    if (raw['sender'] !== peer)
      throw new PlexusError(
        'forbidden',
        'sender_mismatch',
        `envelope sender is not the calling peer ${peer}`,
        {
          field: 'envelope.sender',
        },
      );
    if (raw['type'] !== CHAT_TYPE)
      throw new PlexusError('invalid', 'not_direct', `only ${CHAT_TYPE} envelopes come directly`, {
        field: 'envelope.type',
        hint: 'send other messages through the hub',
      });
    if (typeof raw['id'] !== 'string')
      throw new PlexusError('invalid', 'invalid_envelope', 'envelope.id: must be a string', {
        field: 'envelope.id',
      });
  }

  async #nameOf(did: string): Promise<string | null> {
    try {
      return (await this.#chat.resolve(did)).name;
    } catch {
      return null;
    }
  }

  #context(signal?: AbortSignal, reply?: AgentContext['reply']): AgentContext {
    const session = this.#requireSession();
    return {
      did: this.did,
      name: this.#identity.card.name,
      role: this.#identity.card.role,
      tools: this.#tools.toolsWith(() => this.#session?.client ?? null),
      hub: session.client,
      reply:
        reply ??
        (async (to, text, thread) => {
          if (signal?.aborted) throw new PlexusError('conflict', 'task_canceled', 'the task was canceled');
          // What a brain sends is marked automated: the peer's brain answers it only when asked something.
          await this.#chat.send(to, text, thread, true);
        }),
      signal: signal ? AbortSignal.any([signal, this.#halt.signal]) : this.#halt.signal,
      log: this.#o.log.child({ part: 'brain' }),
      dataDir: this.#o.paths.storage,
    };
  }

  /**
   * System events this agent acts on: its own revocation stops it; a revoked peer's contact is dropped (the
   * next message to it is refused by the hub's identity server instead of sealed to a dead key); a peer that
   * rotated its keys is resolved afresh at the next message; a task this agent runs that its requester
   * canceled is stopped (the task/cancel message may come later, or not at all when it could not be sent).
   */
  #onEvent(event: { type: string; subject: string; data: Record<string, unknown> }): void {
    const { log, mailbox } = this.#o;
    log.debug({ event }, 'event');
    if (PEER_CARD_EVENTS.has(event.type)) this.#keys.forget(event.subject);
    if (event.type === 'identity.revoked' && event.subject === this.did) {
      const { revoked_by: by, reason } = event.data;
      this.#fatal.resolve(
        identityRevoked(
          revocationText(
            this.did,
            typeof by === 'string' ? by : undefined,
            typeof reason === 'string' ? reason : undefined,
          ),
        ),
      );
    } else if (event.type === 'task.canceled' && this.#tasks.runs(event.subject)) {
      log.info({ task: event.subject }, 'task canceled by its requester; stopping it');
      this.#tasks.cancel(event.subject);
    } else if (PEER_CARD_EVENTS.has(event.type) && mailbox.contact(event.subject)) {
      // The peer's card, key or standing changed: its cached contact is resolved afresh at next use.
      mailbox.forgetContact(event.subject);
      const dropped = event.type === 'identity.revoked';
      log.info(
        { peer: event.subject, event: event.type },
        dropped ? 'revoked peer dropped from contacts' : 'peer contact to be resolved again',
      );
    }
  }

  async #drainEvents(): Promise<void> {
    const { mailbox, log } = this.#o;
    const session = this.#session;
    if (!session) return;
    try {
      for (;;) {
        const cursor = mailbox.getState(EVENTS_CURSOR);
        const page = await session.servers.router.fetchEvents({ ...(cursor ? { cursor } : {}), limit: 500 });
        for (const event of page.events) this.#onEvent(event);
        if (page.cursor) mailbox.setState(EVENTS_CURSOR, page.cursor);
        if (!page.more) return;
      }
    } catch (error) {
      if (connectionLost(error)) this.#lost(error);
      else log.warn({ err: error }, 'event fetch failed');
    }
  }

  /**
   * Lets tasks in flight finish within `shutdownGraceMs` (taking no new ones), hands the rest back (rejected
   * → the registry re-dispatches), stops all other work, signs off and closes everything.
   */
  async stop(): Promise<void> {
    if (this.#stopping) return;
    this.#stopping = true;
    if (this.#reconnectTimer) clearTimeout(this.#reconnectTimer);
    for (const timer of this.#timers) clearInterval(timer);
    // The waiting receive ends now (its last page acked); mail coming later waits for the next start.
    await this.#inbox?.close();
    // No new work; the message the brain has may finish while tasks do, then it is told to stop.
    const brainDone = this.#processing.pause();
    await this.#tasks.finish(this.#session);
    this.#halt.abort();
    const session = this.#session;
    if (session) this.#processing.handedBack(await this.#tasks.handBack(session));
    await Promise.race([brainDone, this.#hurried.promise]);
    if (session) {
      await session.servers.registry
        .heartbeat({ status: 'offline', load: 0, active_tasks: 0 })
        .catch((error: unknown) => this.#o.log.warn({ err: error }, 'sign-off failed'));
      this.#session = null;
      await session.close();
    }
    this.#processing.close();
    await this.#o.brain.close?.();
    await this.#endpoint?.close();
    await this.#peers?.close();
    await this.#tools.close();
    this.#o.log.info('stopped');
  }
}
