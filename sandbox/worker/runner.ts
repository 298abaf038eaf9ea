import ivm from 'isolated-vm';
import type { Grant } from '../permissions.ts';
import { BOOTSTRAP_SOURCE, MAX_LOG_CHARS, MAX_LOG_LINES, MAX_OPS_PER_CALL } from './bootstrap.ts';
import { Killed, Stop, settlesWithin } from './call-stop.ts';
import { CapabilityError, PermissionDenied, QuotaExceeded, narrowedNote } from './denied.ts';
import { sandboxFetch, type Resolver } from './fetch-capability.ts';
import { listDirectory, readTextFile, writeTextFile } from './fs-capability.ts';
import type { KvStore } from './kv-capability.ts';
import { clip, glueOutcome, hostFailure, type Outcome } from './outcome.ts';
import type {
  CallErrorCode,
  CallRequest,
  CallResponse,
  LogLine,
  ToolCode,
  WorkerConfig,
} from './protocol.ts';

const CACHE_SIZE = 8;
const WATCHDOG_MS = 5;
const MB = 1024 * 1024;
/**
 * How far past its memory limit a call may grow the worker's resident memory (isolate and code overhead,
 * capability buffers) before the watchdog ends it. The isolate's own limit is checked between operations;
 * this catches a single operation that allocates far past it (flattening a huge string) while it runs.
 */
const RSS_SLACK_MB = 64;
/** After a kill, how long the isolate gets to actually stop before its worker is declared unusable. */
const STOP_GRACE_MS = 250;

/** One tool's live isolate: its module is evaluated once and its handler called warm after that. */
interface ToolIsolate {
  key: string;
  isolate: ivm.Isolate;
  context: ivm.Context;
  invoke: ivm.Reference;
  complete: ivm.Reference;
  reset: ivm.Reference;
  handler: ivm.Reference;
}

/** What the capabilities of the call in progress need; one call runs per worker at a time. */
interface CallState {
  tool: ToolCode;
  ops: number;
  logs: LogLine[];
  droppedLogs: number;
  abort: AbortController;
  deadline: number;
  timers: Set<NodeJS.Timeout>;
}

interface Current {
  state: CallState;
  entry: ToolIsolate | null;
  kill: (code: CallErrorCode, message: string, retire?: boolean) => void;
}

export class Runner {
  readonly #cache = new Map<string, ToolIsolate>();
  readonly #config: WorkerConfig;
  readonly #kv: () => Promise<KvStore>;
  readonly #resolve: Resolver;
  readonly #fatal: (message: string) => void;
  #current: Current | null = null;

  /** `fatal` ends the worker process: an isolate failed beyond recovery while no call could report it. */
  constructor(
    config: WorkerConfig,
    kv: () => Promise<KvStore>,
    resolve: Resolver,
    fatal: (message: string) => void,
  ) {
    this.#config = config;
    this.#kv = kv;
    this.#resolve = resolve;
    this.#fatal = fatal;
  }

  async call(request: CallRequest): Promise<CallResponse> {
    const started = performance.now();
    const { tool } = request;
    const state: CallState = {
      tool,
      ops: 0,
      logs: [],
      droppedLogs: 0,
      abort: new AbortController(),
      deadline: Date.now() + tool.grant.timeMs,
      timers: new Set(),
    };
    const stop = new Stop();
    const current: Current = {
      state,
      entry: null,
      kill: (code, message, retire = false) => {
        if (stop.reason) {
          stop.reason.retire ||= retire;
          return;
        }
        stop.end(new Killed(code, message, retire));
        const isolate = current.entry?.isolate;
        if (isolate && !isolate.isDisposed) isolate.dispose();
      },
    };
    this.#current = current;
    let cold = false;
    let cpuStart = 0n;
    let work: Promise<unknown> | null = null;
    const watchdog = this.#watch(current, () => cpuStart);
    try {
      let entry = this.#cache.get(tool.key);
      if (entry?.isolate.isDisposed) {
        this.#evict(tool.key);
        entry = undefined;
      }
      if (entry) {
        // Most recently used last.
        this.#cache.delete(tool.key);
        this.#cache.set(tool.key, entry);
      } else {
        cold = true;
        const creating = this.#create(tool, current);
        work = creating;
        entry = await stop.race(creating);
      }
      current.entry = entry;
      cpuStart = entry.isolate.cpuTime;
      const remaining = Math.max(1, state.deadline - Date.now());
      work = entry.invoke.apply(undefined, [entry.handler.derefInto(), request.input, request.outputBytes], {
        result: { promise: true },
        timeout: Math.min(remaining, tool.grant.cpuMs),
      });
      const outcome = glueOutcome(await stop.race(work), request.outputBytes, tool);
      // A refusal for memory inside the isolate leaves WebAssembly memory reserved: start afresh next time.
      if ('error' in outcome && outcome.error.code === 'memory_limit') this.#evict(tool.key);
      return this.#respond(request.id, outcome, state, cold, started, entry, cpuStart, false);
    } catch (error) {
      const isolate = current.entry?.isolate;
      let failure: { code: CallErrorCode; message: string };
      if (stop.reason) failure = { code: stop.reason.code, message: stop.reason.message };
      else if (error instanceof Killed) failure = { code: error.code, message: error.message };
      else if (isolate?.isDisposed || /memory limit/i.test(String((error as Error)?.message))) {
        failure = {
          code: 'memory_limit',
          message: `the tool exceeded its ${tool.grant.memoryMb} MB memory limit`,
        };
      } else if (/timed out/i.test(String((error as Error)?.message))) {
        failure = { code: 'cpu_limit', message: `the call used more than ${tool.grant.cpuMs} ms of CPU` };
      } else {
        failure = { code: 'tool_error', message: clip(String((error as Error)?.message ?? error)) };
      }
      // After an abnormal end the isolate's state is suspect: never reuse it.
      this.#evict(tool.key);
      if (isolate && !isolate.isDisposed) isolate.dispose();
      // Disposing does not interrupt one long operation inside V8: if the isolate is still busy, its worker
      // (with the thread and memory it holds) must go.
      if (stop.reason && work && !(await settlesWithin(work, STOP_GRACE_MS))) stop.reason.retire = true;
      const retire = stop.reason?.retire ?? false;
      return this.#respond(request.id, { error: failure }, state, cold, started, null, cpuStart, retire);
    } finally {
      clearInterval(watchdog);
      state.abort.abort();
      for (const timer of state.timers) clearTimeout(timer);
      this.#current = null;
    }
  }

  /**
   * The watchdog: isolated-vm's own timeout does not cover awaited promises, and its memory limit is checked
   * between operations only, so deadline, CPU and the worker's memory are checked from here; a call that
   * overruns is ended by disposing its isolate.
   */
  #watch(current: Current, cpuStart: () => bigint): NodeJS.Timeout {
    const { tool, deadline } = current.state;
    const rssStart = process.memoryUsage.rss();
    const rssCap = (tool.grant.memoryMb + RSS_SLACK_MB) * MB;
    return setInterval(() => {
      if (Date.now() > deadline)
        current.kill('timeout', `the call ran past its ${tool.grant.timeMs} ms deadline`);
      const isolate = current.entry?.isolate;
      if (isolate && !isolate.isDisposed) {
        const cpuMs = Number(isolate.cpuTime - cpuStart()) / 1e6;
        if (cpuMs > tool.grant.cpuMs)
          current.kill('cpu_limit', `the call used more than ${tool.grant.cpuMs} ms of CPU`);
      }
      const growth = process.memoryUsage.rss() - rssStart;
      if (growth > rssCap) {
        current.kill(
          'memory_limit',
          `the tool exceeded its ${tool.grant.memoryMb} MB memory limit inside a single operation (its ` +
            `worker grew by ${Math.round(growth / MB)} MB, e.g. building one huge string or array); the ` +
            'worker was replaced',
          true,
        );
      }
    }, WATCHDOG_MS);
  }

  /**
   * isolated-vm reports an isolate it cannot recover (V8 out of memory, or a script that would not stop): the
   * process must end. The call in progress is answered first, naming the cause.
   */
  #catastrophe(message: string): void {
    const current = this.#current;
    if (!current) {
      this.#fatal(message);
      return;
    }
    const { memoryMb } = current.state.tool.grant;
    if (/out.of.memory/i.test(message)) {
      current.kill(
        'memory_limit',
        `the tool exceeded its ${memoryMb} MB memory limit and V8 could not recover (${message}); the ` +
          'worker was replaced',
        true,
      );
    } else {
      current.kill('timeout', `the call could not be stopped (${message}); the worker was replaced`, true);
    }
  }

  #respond(
    id: number,
    outcome: Outcome,
    state: CallState,
    cold: boolean,
    started: number,
    entry: ToolIsolate | null,
    cpuStart: bigint,
    retire: boolean,
  ): CallResponse {
    if (entry && !entry.isolate.isDisposed) {
      entry.reset.applyIgnored(undefined, []);
    }
    const cpuMs = entry && !entry.isolate.isDisposed ? Number(entry.isolate.cpuTime - cpuStart) / 1e6 : 0;
    if (state.droppedLogs > 0)
      state.logs.push({ level: 'warn', message: `${state.droppedLogs} log lines dropped` });
    const stats = { cold, wallMs: performance.now() - started, cpuMs };
    const rss = process.memoryUsage.rss();
    const common = { type: 'result', id, logs: state.logs, stats, rss, retire } as const;
    if ('output' in outcome) return { ...common, ok: true, output: outcome.output };
    return { ...common, ok: false, error: outcome.error };
  }

  async #create(tool: ToolCode, current: Current): Promise<ToolIsolate> {
    const isolate = new ivm.Isolate({
      memoryLimit: tool.grant.memoryMb,
      onCatastrophicError: (message) => this.#catastrophe(message),
    });
    const partial = { key: tool.key, isolate } as ToolIsolate;
    current.entry = partial;
    try {
      // Setting up runs only our glue and compiles (no guest code executes before evaluate), so the
      // synchronous calls are safe here and save a thread hop each: most of a cold start.
      const context = isolate.createContextSync();
      const bootstrap = isolate.compileScriptSync(BOOTSTRAP_SOURCE, { filename: 'plexus:bootstrap' });
      const factory: ivm.Reference = bootstrap.runSync(context, { reference: true, timeout: 1000 });
      const start = new ivm.Callback(
        (id: unknown, op: unknown, json: unknown) => this.#start(tool.key, id, op, json),
        { ignored: true },
      );
      const wasmLimitMb = tool.grant.wasm ? tool.grant.memoryMb : 0;
      const api = factory.applySync(undefined, [start, wasmLimitMb], {
        reference: true,
        timeout: 1000,
      }) as ivm.Reference;
      const [invoke, complete, reset] = [0, 1, 2].map((i): ivm.Reference =>
        api.getSync(i, { reference: true }),
      );
      const module = isolate.compileModuleSync(tool.source, { filename: `tool:${tool.name}` });
      module.instantiateSync(context, (specifier) => {
        throw new Error(`imports are not available in the sandbox (tried to import '${specifier}')`);
      });
      const remaining = Math.max(1, current.state.deadline - Date.now());
      await module.evaluate({ timeout: Math.min(remaining, tool.grant.cpuMs) });
      const handler: ivm.Reference = await module.namespace.get('default', { reference: true });
      if (handler.typeof !== 'function') {
        throw new Killed(
          'load_failed',
          `tool '${tool.name}' must export a default function (found ${handler.typeof})`,
        );
      }
      const entry: ToolIsolate = {
        key: tool.key,
        isolate,
        context,
        invoke: invoke!,
        complete: complete!,
        reset: reset!,
        handler,
      };
      this.#cache.set(tool.key, entry);
      while (this.#cache.size > CACHE_SIZE) {
        const oldest = this.#cache.keys().next().value as string;
        this.#evict(oldest, true);
      }
      return entry;
    } catch (error) {
      if (error instanceof Killed || isolate.isDisposed) throw error;
      isolate.dispose();
      throw new Killed(
        'load_failed',
        `tool '${tool.name}' failed to load: ${clip(String((error as Error).message))}`,
      );
    }
  }

  #evict(key: string, later = false): void {
    const entry = this.#cache.get(key);
    this.#cache.delete(key);
    if (!entry) return;
    const dispose = () => {
      if (!entry.isolate.isDisposed) entry.isolate.dispose();
    };
    // Disposing takes a while; an idle isolate pushed out of the cache can go after the call is answered.
    if (later) setImmediate(dispose);
    else dispose();
  }

  /** A capability request from the guest: performed here, answered through the guest's `complete`. */
  #start(key: string, id: unknown, op: unknown, json: unknown): void {
    const current = this.#current;
    if (!current || current.state.tool.key !== key || typeof id !== 'number') return;
    const { state } = current;
    const answer = (ok: boolean, value: unknown): void => {
      const entry = current.entry;
      if (this.#current !== current || !entry || entry.isolate.isDisposed) return;
      const text = ok ? JSON.stringify(value ?? null) : String(value);
      entry.complete
        .apply(undefined, [id, ok, text], {
          timeout: Math.max(1, Math.min(1000, state.deadline - Date.now())),
        })
        .catch(() => {
          // The isolate was disposed or the guest's own code in the continuation overran: the call's
          // watchdog reports that.
        });
    };
    if (++state.ops > MAX_OPS_PER_CALL) {
      answer(false, `limit: at most ${MAX_OPS_PER_CALL} capability calls per tool call`);
      return;
    }
    let arg: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(String(json));
      arg =
        typeof parsed === 'object' && parsed !== null
          ? (parsed as Record<string, unknown>)
          : { value: parsed };
    } catch {
      answer(false, 'capability arguments must be JSON');
      return;
    }
    this.#perform(String(op), arg, state).then(
      (value) => answer(true, value),
      (error: unknown) => {
        const told =
          error instanceof PermissionDenied ||
          error instanceof CapabilityError ||
          error instanceof QuotaExceeded;
        answer(false, told ? error.message : hostFailure(String(op), error));
      },
    );
  }

  async #perform(op: string, arg: Record<string, unknown>, state: CallState): Promise<unknown> {
    const { grant } = state.tool;
    switch (op) {
      case 'log':
        return this.#log(arg, state);
      case 'sleep':
        return this.#sleep(arg['value'], state);
      case 'fetch':
        return sandboxFetch(grant, arg, this.#resolve, {
          maxBytes: this.#config.fetchMaxBytes,
          timeoutMs: Math.max(1, Math.min(this.#config.fetchTimeoutMs, state.deadline - Date.now())),
          signal: state.abort.signal,
        });
      case 'fs.read':
        return readTextFile(grant, arg);
      case 'fs.write':
        return writeTextFile(grant, arg);
      case 'fs.list':
        return listDirectory(grant, arg);
      case 'kv.get':
      case 'kv.set':
      case 'kv.delete':
      case 'kv.list': {
        requireKv(grant, state.tool.name);
        const kv = await this.#kv();
        const { scope, name } = state.tool;
        if (op === 'kv.get') return kv.get(scope, arg);
        if (op === 'kv.set') return kv.set({ scope, name, quota: grant.kvQuota }, arg);
        if (op === 'kv.delete') return kv.delete(scope, arg);
        return kv.list(scope, arg);
      }
      default:
        throw new CapabilityError(`unknown capability ${op}`);
    }
  }

  #log(arg: Record<string, unknown>, state: CallState): null {
    const level = arg['level'];
    const message = arg['message'];
    if (state.logs.length >= MAX_LOG_LINES) {
      state.droppedLogs++;
      return null;
    }
    state.logs.push({
      level: level === 'debug' || level === 'warn' || level === 'error' ? level : 'info',
      message: clip(typeof message === 'string' ? message : String(message), MAX_LOG_CHARS),
    });
    return null;
  }

  #sleep(value: unknown, state: CallState): Promise<null> {
    const ms = typeof value === 'number' && Number.isFinite(value) ? Math.max(0, value) : 0;
    // A timer past the deadline would never matter: the call ends first.
    if (Date.now() + ms > state.deadline) return new Promise(() => {});
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        state.timers.delete(timer);
        resolve(null);
      }, ms);
      state.timers.add(timer);
    });
  }

  close(): void {
    for (const key of [...this.#cache.keys()]) this.#evict(key);
  }
}

function requireKv(grant: Grant, name: string): void {
  if (!grant.kv) {
    throw new PermissionDenied('kv', `not granted to tool '${name}'${narrowedNote(grant.narrowed, 'kv')}`);
  }
}
