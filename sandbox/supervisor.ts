import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { PlexusError } from '../lib/errors.ts';
import type { Logger } from '../lib/log.ts';
import type {
  CallErrorCode,
  CallRequest,
  CallResponse,
  CallStats,
  LogLine,
  ToolCode,
  WorkerConfig,
  WorkerMessage,
} from './worker/protocol.ts';

const WORKER_ENTRY = fileURLToPath(new URL('./worker/main.ts', import.meta.url));
/** The worker enforces deadlines itself; this much later the supervisor stops waiting and kills it. */
const KILL_GRACE_MS = 500;
const START_TIMEOUT_MS = 15_000;

export interface SupervisorOptions {
  workers: number;
  maxQueue: number;
  workerMemoryMb: number;
  worker: WorkerConfig;
  log: Logger;
}

export type CallOutcome =
  | { ok: true; output: unknown; logs: LogLine[]; stats: CallStats }
  | { ok: false; error: { code: CallErrorCode; message: string }; logs: LogLine[]; stats: CallStats };

interface Job {
  backstop?: NodeJS.Timeout;
  tool: ToolCode;
  input: string;
  outputBytes: number;
  resolve: (outcome: CallOutcome) => void;
  reject: (error: Error) => void;
}

interface Worker {
  child: ChildProcess;
  ready: Promise<void>;
  started: boolean;
  /** Killed or dying: takes no more work. */
  retired: boolean;
  busy: Job | null;
  exited: Promise<void>;
}

/**
 * Runs tool calls in a small pool of worker processes (never in this process). A worker that overruns its
 * call's deadline, crashes, or grows past its memory budget is killed and replaced; calls wait in a bounded
 * queue, and past the bound get a `sandbox_busy` error.
 */
export class Supervisor {
  readonly #options: SupervisorOptions;
  readonly #workers = new Set<Worker>();
  readonly #queue: Job[] = [];
  #nextId = 1;
  #closed = false;
  readonly #exits = new Set<Promise<void>>();

  constructor(options: SupervisorOptions) {
    this.#options = options;
    for (let i = 0; i < options.workers; i++) this.#spawn();
  }

  /** Process ids of the live workers (tests check none are left behind). */
  pids(): number[] {
    return [...this.#workers].flatMap((w) => (w.child.pid === undefined ? [] : [w.child.pid]));
  }

  get queued(): number {
    return this.#queue.length;
  }

  get maxQueue(): number {
    return this.#options.maxQueue;
  }

  /** Workers running a call now, and those started and free for one (the pool the console shows). */
  load(): { busy: number; idle: number } {
    let busy = 0;
    let idle = 0;
    for (const worker of this.#workers) {
      if (worker.busy !== null) busy++;
      else if (worker.started && !worker.retired) idle++;
    }
    return { busy, idle };
  }

  /** Resolves once every worker has started. */
  async ready(): Promise<void> {
    await Promise.all([...this.#workers].map((w) => w.ready));
  }

  run(tool: ToolCode, input: unknown, outputBytes: number): Promise<CallOutcome> {
    if (this.#closed)
      return Promise.reject(new PlexusError('unavailable', 'sandbox_closed', 'the sandbox is shut down'));
    const idle = [...this.#workers].filter((w) => w.busy === null).length;
    if (this.#queue.length - idle >= this.#options.maxQueue) {
      return Promise.reject(
        new PlexusError(
          'limit',
          'sandbox_busy',
          `the sandbox is busy: ${this.#queue.length} calls are waiting`,
          {
            hint: 'retry shortly',
          },
        ),
      );
    }
    return new Promise<CallOutcome>((resolve, reject) => {
      this.#queue.push({ tool, input: JSON.stringify(input), outputBytes, resolve, reject });
      this.#dispatch();
    });
  }

  #spawn(): Worker {
    const child = fork(WORKER_ENTRY, [JSON.stringify(this.#options.worker)], {
      execArgv: ['--no-node-snapshot', '--disable-warning=ExperimentalWarning'],
      // stdout is the stdio protocol's in a server process: a worker never writes to it.
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      serialization: 'advanced',
    });
    let markReady: () => void = () => {};
    let failReady: (error: Error) => void = () => {};
    const ready = new Promise<void>((resolve, reject) => {
      markReady = resolve;
      failReady = reject;
    });
    ready.catch(() => {});
    const worker: Worker = {
      child,
      ready,
      started: false,
      retired: false,
      busy: null,
      exited: new Promise<void>((resolve) => child.once('exit', () => resolve())),
    };
    this.#exits.add(worker.exited);
    void worker.exited.then(() => this.#exits.delete(worker.exited));
    const startTimer = setTimeout(() => failReady(new Error('worker did not start')), START_TIMEOUT_MS);
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      this.#options.log.warn({ pid: child.pid, stderr: chunk.slice(0, 2000) }, 'sandbox worker stderr');
    });
    child.on('message', (message: WorkerMessage) => {
      if (message.type === 'ready') {
        clearTimeout(startTimer);
        worker.started = true;
        markReady();
        this.#dispatch();
      } else if (message.type === 'result') {
        this.#finish(worker, message);
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(startTimer);
      failReady(new Error(`worker exited (${signal ?? code})`));
      this.#workers.delete(worker);
      const job = worker.busy;
      worker.busy = null;
      if (job) {
        this.#options.log.warn(
          { pid: child.pid, code, signal, tool: job.tool.name },
          'sandbox worker died during a call',
        );
        job.resolve(
          failure(
            'worker_crashed',
            `the worker running '${job.tool.name}' died (${signal ?? `exit ${code}`})`,
          ),
        );
      }
      if (!this.#closed) {
        while (this.#workers.size < this.#options.workers) this.#spawn();
        this.#dispatch();
      }
    });
    this.#workers.add(worker);
    return worker;
  }

  #dispatch(): void {
    for (const worker of this.#workers) {
      if (this.#queue.length === 0) return;
      // Only workers that said ready take work; the others get it when they do.
      if (!worker.started || worker.retired || worker.busy !== null || !worker.child.connected) continue;
      const job = this.#queue.shift()!;
      this.#send(worker, job);
    }
  }

  #send(worker: Worker, job: Job): void {
    worker.busy = job;
    const id = this.#nextId++;
    const request: CallRequest = {
      type: 'call',
      id,
      tool: job.tool,
      input: job.input,
      outputBytes: job.outputBytes,
    };
    const backstop = setTimeout(() => {
      if (worker.busy !== job) return;
      this.#options.log.warn(
        { pid: worker.child.pid, tool: job.tool.name },
        'sandbox worker overran; killing it',
      );
      worker.busy = null;
      job.resolve(failure('timeout', `the call ran past its ${job.tool.grant.timeMs} ms deadline`));
      this.#retire(worker);
    }, job.tool.grant.timeMs + KILL_GRACE_MS);
    job.backstop = backstop;
    worker.child.send(request, (error) => {
      if (error && worker.busy === job) {
        clearTimeout(backstop);
        worker.busy = null;
        job.resolve(failure('worker_crashed', `could not reach a worker: ${error.message}`));
        this.#retire(worker);
      }
    });
  }

  #finish(worker: Worker, response: CallResponse): void {
    const job = worker.busy;
    if (!job) return;
    clearTimeout(job.backstop);
    worker.busy = null;
    if (response.ok) {
      job.resolve({
        ok: true,
        output: JSON.parse(response.output) as unknown,
        logs: response.logs,
        stats: response.stats,
      });
    } else {
      job.resolve({ ok: false, error: response.error, logs: response.logs, stats: response.stats });
    }
    if (response.retire || response.rss > this.#options.workerMemoryMb * 1024 * 1024) {
      this.#options.log.warn(
        {
          pid: worker.child.pid,
          rss: response.rss,
          tool: job.tool.name,
          error: response.ok ? null : response.error.code,
        },
        response.retire
          ? 'sandbox worker cannot safely run more calls; replacing it'
          : 'sandbox worker past its memory budget; replacing it',
      );
      this.#retire(worker);
      return;
    }
    this.#dispatch();
  }

  #retire(worker: Worker): void {
    worker.retired = true;
    worker.child.kill('SIGKILL');
  }

  /** Stops every worker and fails queued calls. Resolves when all worker processes have exited. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const job of this.#queue.splice(0)) {
      job.reject(
        new PlexusError('unavailable', 'sandbox_closed', 'the sandbox shut down before the call ran'),
      );
    }
    for (const worker of this.#workers) worker.child.kill('SIGKILL');
    await Promise.all([...this.#exits]);
  }
}

function failure(code: CallErrorCode, message: string): CallOutcome {
  return { ok: false, error: { code, message }, logs: [], stats: { cold: false, wallMs: 0, cpuMs: 0 } };
}
