import type { Grant } from '../permissions.ts';

/** Messages between the supervisor (host) and a worker process, over the fork IPC channel. */

export interface WorkerConfig {
  /** SQLite file holding every tool's kv store: an absolute path under the sandbox's data dir. */
  kvPath: string;
  /** Static name → addresses answers consulted before DNS (like /etc/hosts); tests use it. */
  hosts: Record<string, string[]>;
  /** Caps for the fetch capability. */
  fetchMaxBytes: number;
  fetchTimeoutMs: number;
}

export interface ToolCode {
  /** Identifies a tool build: name, author, code hash and grant; a changed grant is a new key. */
  key: string;
  name: string;
  /** `${author}/${name}`: the kv namespace. */
  scope: string;
  source: string;
  grant: Grant;
}

export interface CallRequest {
  type: 'call';
  id: number;
  tool: ToolCode;
  /** The input as JSON text. */
  input: string;
  outputBytes: number;
}

export interface LogLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
}

export type CallErrorCode =
  | 'tool_error'
  | 'permission_denied'
  | 'quota_exceeded'
  | 'timeout'
  | 'cpu_limit'
  | 'memory_limit'
  | 'output_too_large'
  | 'output_invalid'
  | 'load_failed'
  | 'worker_crashed'
  | 'internal';

export interface CallStats {
  /** A new isolate was created for this call (no warm one was cached). */
  cold: boolean;
  wallMs: number;
  cpuMs: number;
}

interface CallResponseBase {
  type: 'result';
  id: number;
  logs: LogLine[];
  stats: CallStats;
  /** The worker's resident memory after the call. */
  rss: number;
  /** The worker should be replaced: a call left it with memory or a busy thread it cannot give back. */
  retire: boolean;
}

export type CallResponse =
  | (CallResponseBase & { ok: true; output: string })
  | (CallResponseBase & { ok: false; error: { code: CallErrorCode; message: string } });

export type WorkerMessage = CallResponse | { type: 'ready'; pid: number };
