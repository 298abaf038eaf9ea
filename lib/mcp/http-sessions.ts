import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { NodeStreamableHTTPServerTransport } from '@modelcontextprotocol/node';
import {
  isInitializeRequest,
  type AuthInfo,
  type McpServer,
  type Server,
} from '@modelcontextprotocol/server';
import type { Logger } from '../log.ts';
import { jsonRpcError, sendJson } from './http-guard.ts';

interface SessionRecord {
  transport: NodeStreamableHTTPServerTransport;
  server: McpServer | Server;
  /** The authenticated subject that opened the session; only it may use the session. */
  subject: string | null;
  /** Which endpoint the session belongs to (e.g. one per mounted server); '' when there is one. */
  partition: string;
  lastSeen: number;
  /** Open GET (SSE) streams: a session listening for notifications is not idle. */
  streams: number;
}

export interface HttpSessionsOptions {
  /** A fresh MCP server for a new session, told who opened it and at which endpoint. */
  createServer(auth: AuthInfo | undefined, partition: string): McpServer | Server;
  maxSessions: number;
  /** Sessions one subject may hold at once, so that no identity can take the whole table. */
  maxPerSubject?: number;
  idleMs: number;
  log: Logger;
  now?: () => number;
  onSessionCount?(count: number): void;
  onSessionClosed?(sessionId: string): void;
}

/**
 * Stateful streamable HTTP sessions: one MCP server + transport per session, a bounded number of them, idle
 * ones expired by a periodic sweep, each bound to the subject that opened it.
 */
export class HttpSessions {
  readonly #sessions = new Map<string, SessionRecord>();
  readonly #perSubject = new Map<string | null, number>();
  readonly #options: HttpSessionsOptions;
  readonly #now: () => number;
  readonly #sweeper: NodeJS.Timeout;
  #closed = false;

  constructor(options: HttpSessionsOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#sweeper = setInterval(() => this.sweep(), Math.max(1000, Math.min(options.idleMs / 2, 30_000)));
    this.#sweeper.unref();
  }

  get size(): number {
    return this.#sessions.size;
  }

  /** Closes sessions idle longer than idleMs; returns how many. */
  sweep(): number {
    const cutoff = this.#now() - this.#options.idleMs;
    let closed = 0;
    for (const [id, record] of this.#sessions) {
      if (record.streams === 0 && record.lastSeen < cutoff) {
        this.#drop(id, record, 'idle');
        closed++;
      }
    }
    return closed;
  }

  #count(subject: string | null, delta: number): void {
    const count = (this.#perSubject.get(subject) ?? 0) + delta;
    if (count > 0) this.#perSubject.set(subject, count);
    else this.#perSubject.delete(subject);
  }

  #drop(id: string, record: SessionRecord, reason: string): void {
    if (!this.#sessions.delete(id)) return;
    this.#count(record.subject, -1);
    this.#options.log.debug({ session: id, reason }, 'session closed');
    this.#options.onSessionCount?.(this.#sessions.size);
    this.#options.onSessionClosed?.(id);
    void record.transport.close().catch(() => {});
    void record.server.close().catch(() => {});
  }

  /** Serves one 2025-era request; `body` as parsed, if it was. */
  async handle(
    req: IncomingMessage,
    res: ServerResponse,
    body: unknown,
    auth: AuthInfo | undefined,
    partition = '',
  ): Promise<void> {
    if (this.#closed) {
      sendJson(res, 503, jsonRpcError(-32000, 'server is shutting down'));
      return;
    }
    const header = req.headers['mcp-session-id'];
    const sessionId = Array.isArray(header) ? header[0] : header;
    const subject = auth?.clientId ?? null;
    if (auth) (req as IncomingMessage & { auth?: AuthInfo }).auth = auth;
    if (sessionId) {
      const record = this.#sessions.get(sessionId);
      // A session opened by someone else looks exactly like an unknown one.
      if (!record || record.subject !== subject || record.partition !== partition) {
        sendJson(res, 404, jsonRpcError(-32001, 'Session not found'));
        return;
      }
      record.lastSeen = this.#now();
      if (req.method === 'GET') {
        record.streams++;
        res.on('close', () => {
          record.streams--;
          record.lastSeen = this.#now();
        });
      }
      await record.transport.handleRequest(req, res, body);
      return;
    }
    if (req.method !== 'POST' || !containsInitialize(body)) {
      sendJson(res, 400, jsonRpcError(-32000, 'Bad Request: no valid session id (send initialize first)'));
      return;
    }
    const perSubject = this.#options.maxPerSubject ?? Infinity;
    const full = () =>
      this.#sessions.size >= this.#options.maxSessions || (this.#perSubject.get(subject) ?? 0) >= perSubject;
    if (full()) this.sweep();
    if ((this.#perSubject.get(subject) ?? 0) >= perSubject) {
      const message = `too many sessions for ${subject ?? 'this caller'} (limit ${perSubject}); close idle ones`;
      sendJson(res, 429, jsonRpcError(-32000, message), { 'retry-after': '30' });
      return;
    }
    if (this.#sessions.size >= this.#options.maxSessions) {
      const message = `too many sessions (limit ${this.#options.maxSessions})`;
      sendJson(res, 503, jsonRpcError(-32000, message), { 'retry-after': '30' });
      return;
    }
    const server = this.#options.createServer(auth, partition);
    const transport: NodeStreamableHTTPServerTransport = new NodeStreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => {
        this.#sessions.set(id, { transport, server, subject, partition, lastSeen: this.#now(), streams: 0 });
        this.#count(subject, 1);
        this.#options.onSessionCount?.(this.#sessions.size);
      },
      onsessionclosed: (id) => {
        const record = this.#sessions.get(id);
        if (record) this.#drop(id, record, 'deleted by client');
      },
    });
    transport.onclose = () => {
      const id = transport.sessionId;
      const record = id ? this.#sessions.get(id) : undefined;
      if (id && record) this.#drop(id, record, 'transport closed');
    };
    await server.connect(transport);
    await transport.handleRequest(req, res, body);
    if (!transport.sessionId) {
      // Initialization failed (bad request): nothing to keep.
      await server.close().catch(() => {});
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#sweeper);
    const records = [...this.#sessions];
    this.#sessions.clear();
    this.#perSubject.clear();
    await Promise.allSettled(
      records.flatMap(([id, r]) => {
        this.#options.onSessionClosed?.(id);
        return [r.transport.close(), r.server.close()];
      }),
    );
    this.#options.onSessionCount?.(0);
  }
}

function containsInitialize(body: unknown): boolean {
  if (Array.isArray(body)) return body.some((m) => isInitializeRequest(m));
  return isInitializeRequest(body);
}
