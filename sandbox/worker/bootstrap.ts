import { definedMemoryPages, installWasmGuard } from './wasm-guard.ts';

/**
 * Guest-side glue, evaluated in each new context before the tool's module. It captures the intrinsics it
 * needs first, so a tool that later tampers with JSON, Promise or prototypes only breaks its own calls. Only
 * JSON text and numbers cross to the host: `start(id, op, json)` asks for a capability, the host answers by
 * calling `complete(id, ok, json)`. No Reference, ExternalCopy or host object is ever visible to the tool.
 * `wasmLimitMb` is the tool's memory limit when it is granted WebAssembly (which is then counted against
 * that limit), 0 when it is not (WebAssembly is removed).
 */
export const MAX_OPS_PER_CALL = 1000;
export const MAX_LOG_LINES = 200;
export const MAX_LOG_CHARS = 4096;

export const BOOTSTRAP_SOURCE = String.raw`(function (start, wasmLimitMb) {
  'use strict';
  if (wasmLimitMb > 0) (${installWasmGuard.toString()})(globalThis, wasmLimitMb, ${definedMemoryPages.toString()});
  else delete globalThis.WebAssembly;
  // A tool has one thread: nothing could ever wake a blocking wait, which would only look like a CPU overrun.
  Object.defineProperty(Atomics, 'wait', {
    value: function wait() {
      throw new TypeError(
        'Atomics.wait is not available in the sandbox: a tool runs on one thread, so nothing could wake it ' +
          '(await a promise or setTimeout instead)',
      );
    },
    writable: true,
    configurable: true,
  });
  const MAX_OPS = ${MAX_OPS_PER_CALL};
  const MAX_LOG_LINES = ${MAX_LOG_LINES};
  const MAX_LOG_CHARS = ${MAX_LOG_CHARS};
  const stringify = JSON.stringify;
  const parse = JSON.parse;
  const P = Promise;
  const E = Error;
  const TE = TypeError;
  const S = String;
  const freeze = Object.freeze;
  const defineProperty = Object.defineProperty;
  const create = Object.create;
  const pending = create(null);
  let timers = create(null);
  let next = 1;
  let nextTimer = 1;
  // Per-call budgets, kept here so a flood never crosses to the host at all (the host checks again).
  let ops = 0;
  let logLines = 0;
  const call = (op, arg) =>
    new P((resolve, reject) => {
      if (++ops > MAX_OPS) throw new E('limit: at most ' + MAX_OPS + ' capability calls per tool call');
      const id = next++;
      const json = stringify(arg === undefined ? null : arg);
      pending[id] = { resolve, reject };
      start(id, op, json);
    });
  const complete = (id, ok, text) => {
    const p = pending[id];
    if (p === undefined) return;
    delete pending[id];
    if (ok) p.resolve(text === undefined ? undefined : parse(text));
    else {
      const error = new E(text);
      if (text.startsWith('permission denied')) error.name = 'PermissionDenied';
      else if (text.startsWith('quota exceeded')) error.name = 'QuotaExceeded';
      p.reject(error);
    }
  };
  const reset = () => {
    for (const id in pending) delete pending[id];
    timers = create(null);
    ops = 0;
    logLines = 0;
  };
  const show = (value) => {
    if (typeof value === 'string') return value;
    try {
      const text = stringify(value);
      return text === undefined ? S(value) : text;
    } catch {
      return S(value);
    }
  };
  const logger = (level) => (...args) => {
    if (++logLines > MAX_LOG_LINES) return;
    let message = args.map(show).join(' ');
    if (message.length > MAX_LOG_CHARS) message = message.slice(0, MAX_LOG_CHARS) + '…';
    call('log', { level, message }).catch(() => {});
  };
  const consoleApi = freeze({
    log: logger('info'),
    info: logger('info'),
    debug: logger('debug'),
    warn: logger('warn'),
    error: logger('error'),
  });
  const setTimeoutFn = (fn, ms, ...args) => {
    if (typeof fn !== 'function') throw new TE('setTimeout needs a function');
    const handle = nextTimer++;
    const table = timers;
    table[handle] = true;
    call('sleep', Number(ms) || 0).then(
      () => {
        if (table[handle] === true) {
          delete table[handle];
          fn(...args);
        }
      },
      () => {},
    );
    return handle;
  };
  const clearTimeoutFn = (handle) => {
    delete timers[handle];
  };
  defineProperty(globalThis, 'console', { value: consoleApi, writable: true, configurable: true });
  defineProperty(globalThis, 'setTimeout', { value: setTimeoutFn, writable: true, configurable: true });
  defineProperty(globalThis, 'clearTimeout', { value: clearTimeoutFn, writable: true, configurable: true });
  const ctx = freeze({
    fetch: (url, init) => call('fetch', { url: S(url), init: init === undefined ? {} : init }),
    fs: freeze({
      readFile: (path) => call('fs.read', { path }),
      writeFile: (path, content) => call('fs.write', { path, content }),
      readdir: (path) => call('fs.list', { path }),
    }),
    kv: freeze({
      get: (key) => call('kv.get', { key }),
      set: (key, value) => call('kv.set', { key, value }),
      delete: (key) => call('kv.delete', { key }),
      list: (prefix) => call('kv.list', { prefix: prefix === undefined ? '' : prefix }),
    }),
    log: logger('info'),
  });
  const describe = (e) => {
    try {
      const text = e instanceof E ? S(e.name) + ': ' + S(e.message) : 'non-error value thrown: ' + S(e);
      return text.length > 2000 ? text.slice(0, 2000) + '…' : text;
    } catch {
      return 'an unprintable value was thrown';
    }
  };
  const invoke = async (handler, inputText, outputCap) => {
    let out;
    try {
      out = await handler(parse(inputText), ctx);
    } catch (e) {
      return stringify({ e: describe(e) });
    }
    let text;
    try {
      text = stringify({ o: out === undefined ? null : out });
    } catch (e) {
      return stringify({ j: describe(e) });
    }
    if (typeof text !== 'string') return stringify({ j: 'output has no JSON form' });
    if (text.length > outputCap) return stringify({ x: text.length });
    return text;
  };
  return [invoke, complete, reset];
})`;
