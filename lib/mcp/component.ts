import type { McpServer } from '@modelcontextprotocol/server';
import type { Client } from '@modelcontextprotocol/client';
import type { Logger } from '../log.ts';
import type { ChangeFeed } from './change-feed.ts';

/** The core servers the hub can mount in-process and `plexus serve <name>` can run alone. */
export const CORE_SERVERS = ['identity', 'registry', 'router', 'memory', 'llm'] as const;
export type CoreServerName = (typeof CORE_SERVERS)[number];

/**
 * What the composition root hands a server component. Everything a server needs from outside comes
 * through here (CONTRIBUTING.md, convention 3 "One factory per server, no singletons": no process.env, no
 * singletons below the composition root).
 */
export interface ServerContext {
  /** Folder for embedded state (SQLite files). */
  dataDir: string;
  /** PostgreSQL connection string when scaled out; SQLite under dataDir otherwise. */
  databaseUrl?: string | undefined;
  /** Redis URL for cross-process fan-out when scaled out. */
  redisUrl?: string | undefined;
  log: Logger;
  /** Milliseconds since the epoch; injectable so tests control time. */
  now: () => number;
  /** This server's own section of the config file; the server parses it with its own zod schema. */
  settings: unknown;
  /**
   * An MCP client to a sibling server (a core server, or another server mounted beside this one),
   * authenticated as a delegate of the hub: in-process when both run in one process, over streamable HTTP
   * when scaled out. The same calling code works in both compositions.
   */
  connect(name: CoreServerName | (string & {})): Promise<Client>;
  /**
   * Aborted when the process is told to stop while the server is still starting: a server that spawns
   * children or waits on the network at start gives that up (and is closed once its factory returns).
   */
  signal?: AbortSignal | undefined;
}

/**
 * A running server component: shared state (stores, caches) plus a factory for MCP servers over it — one per
 * 2025-era session or connection, one per request for 2026-07-28 clients, so it must be cheap.
 */
export interface Component {
  /** A fresh McpServer over the component's shared state. */
  createServer(): McpServer;
  /** What changes, for `subscriptions/listen`: absent when nothing the server offers ever changes. */
  changes?: ChangeFeed;
  close(): Promise<void>;
}

export type ComponentFactory = (ctx: ServerContext) => Promise<Component>;
