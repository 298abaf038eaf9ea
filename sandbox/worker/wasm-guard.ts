/**
 * WebAssembly inside the isolate, counted against the tool's memory limit. isolated-vm's limit covers the V8
 * heap and ArrayBuffers, but not WebAssembly memory (V8 allocates it apart). So every WebAssembly memory is
 * charged its maximum size when it comes into being, as an untouched ArrayBuffer of that size held for the
 * isolate's life: the isolate's own allocator then refuses a memory that does not fit beside the heap, and
 * stops the heap from growing into memory the WebAssembly may still claim. A memory without a maximum could
 * grow without bound and is refused; so is shared memory (a wait on it could never be woken).
 *
 * Both functions run inside the isolate as source text (`toString`), installed by the bootstrap before any
 * tool code: they use nothing from outside their own bodies, and only intrinsics captured at install time,
 * so a tool that later tampers with prototypes cannot change what they read.
 */

/** A memory the module defines has no maximum. */
export const NO_MAXIMUM = -1;
/** A memory the module defines is shared. */
export const SHARED = -2;
/** The module's sections could not be read. */
export const UNREADABLE = -3;

/**
 * The sum of the maximum sizes (in 64 KiB pages) of the memories a WebAssembly binary defines, or one of the
 * negative codes above. Imported memories are not counted: they were charged when they were made.
 */
export function definedMemoryPages(bytes: Uint8Array, length: number): number {
  const noMaximum = -1;
  const shared = -2;
  const unreadable = -3;
  const magic = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  if (length < 8) return unreadable;
  for (let i = 0; i < 8; i++) if (bytes[i] !== magic[i]) return unreadable;
  let at = 8;
  // Unsigned LEB128 up to 64 bits (memory64 limits); -1 when it runs off the end or is too long.
  const leb = (): number => {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (at >= length) return -1;
      const byte = bytes[at++] as number;
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
      scale *= 128;
    }
    return -1;
  };
  let total = 0;
  while (at < length) {
    const id = bytes[at++];
    const size = leb();
    if (size < 0 || at + size > length) return unreadable;
    const end = at + size;
    if (id === 5) {
      const count = leb();
      if (count < 0) return unreadable;
      for (let i = 0; i < count; i++) {
        if (at >= end) return unreadable;
        const flags = bytes[at++] as number;
        if ((flags & 2) !== 0) return shared;
        // 0/1: 32-bit without/with maximum, 4/5: the same for memory64; anything else is not understood.
        if (flags !== 0 && flags !== 1 && flags !== 4 && flags !== 5) return unreadable;
        if (leb() < 0) return unreadable;
        if ((flags & 1) === 0) return noMaximum;
        const maximum = leb();
        if (maximum < 0) return unreadable;
        total += maximum;
      }
      if (at !== end) return unreadable;
    }
    at = end;
  }
  return total;
}

interface WasmNamespace {
  Module: NewableFunction & { prototype: object };
  Instance: NewableFunction & { prototype: object };
  Memory: NewableFunction & { prototype: object };
  CompileError: new (message: string) => Error;
  compile: (bytes: Uint8Array) => Promise<object>;
  instantiate: (source: unknown, imports?: unknown) => Promise<unknown>;
  compileStreaming?: unknown;
  instantiateStreaming?: unknown;
}

/**
 * Replaces the isolate's `WebAssembly.Module`, `Instance`, `Memory`, `compile` and `instantiate` with
 * versions that charge memories against `limitMb`, and drops the streaming variants (there is no Response
 * here). `pagesOf` is {@link definedMemoryPages}.
 */
export function installWasmGuard(
  global: { WebAssembly: WasmNamespace },
  limitMb: number,
  pagesOf: (bytes: Uint8Array, length: number) => number,
): void {
  const wasm = global.WebAssembly;
  const apply = Reflect.apply;
  const construct = Reflect.construct;
  const define = Object.defineProperty;
  const descriptor = Object.getOwnPropertyDescriptor;
  const protoOf = Object.getPrototypeOf;
  const N = Number;
  const S = String;
  const E = Error;
  const TE = TypeError;
  const AB = ArrayBuffer;
  const U8 = Uint8Array;
  const ceil = Math.ceil;
  const isFinite = Number.isFinite;
  // Methods and accessors are taken from their descriptors and called with Reflect.apply on our own objects.
  type Method = (...args: never[]) => unknown;
  type Slot = { value?: Method; get?: Method };
  const method = (owner: object, key: string): Method => (descriptor(owner, key) as Slot).value as Method;
  const getter = (proto: object, key: string): Method => (descriptor(proto, key) as Slot).get as Method;
  const P = Promise;
  const resolve = method(P, 'resolve');
  const reject = method(P, 'reject');
  const WM = WeakMap;
  const weakGet = method(WM.prototype, 'get');
  const weakSet = method(WM.prototype, 'set');
  const held = new Set<{ ballast: ArrayBuffer | null; pages: number }>();
  const hold = method(Set.prototype, 'add');
  const drop = method(Set.prototype, 'delete');
  const isView = method(AB, 'isView');
  const typed = protoOf(U8.prototype) as object;
  const viewParts: Method[][] = [
    [getter(typed, 'buffer'), getter(typed, 'byteOffset'), getter(typed, 'byteLength')],
    [
      getter(DataView.prototype, 'buffer'),
      getter(DataView.prototype, 'byteOffset'),
      getter(DataView.prototype, 'byteLength'),
    ],
  ];
  const bufferLengths: Method[] = [getter(AB.prototype, 'byteLength')];
  if (typeof SharedArrayBuffer === 'function')
    bufferLengths.push(getter(SharedArrayBuffer.prototype as object, 'byteLength'));
  const copyInto = method(typed, 'set');
  const OriginalModule = wasm.Module;
  const OriginalInstance = wasm.Instance;
  const OriginalMemory = wasm.Memory;
  const CompileError = wasm.CompileError;
  const pagesByModule = new WM<object, number>();
  const limitPages = limitMb * 16;
  let reservedPages = 0;

  const megabytes = (pages: number): string => S(ceil((pages / 16) * 10) / 10);
  const memoryLimit = (message: string): Error => {
    const error = new E(message);
    define(error, 'name', { value: 'MemoryLimit', configurable: true, writable: true });
    return error;
  };

  /** Charges `pages` against the limit; the returned token gives them back if creation fails. */
  const reserve = (pages: number, what: string): { ballast: ArrayBuffer | null; pages: number } => {
    const token: { ballast: ArrayBuffer | null; pages: number } = { ballast: null, pages };
    if (pages === 0) return token;
    const refused = memoryLimit(
      `${what}: ${megabytes(pages)} MB of WebAssembly memory (its maximum) does not fit in the tool's ` +
        `${limitMb} MB memory limit beside its heap (${megabytes(reservedPages)} MB of WebAssembly memory ` +
        'already reserved)',
    );
    if (reservedPages + pages > limitPages) throw refused;
    try {
      token.ballast = new AB(pages * 65536);
    } catch {
      throw refused;
    }
    reservedPages += pages;
    apply(hold, held, [token]);
    return token;
  };
  const release = (token: { ballast: ArrayBuffer | null; pages: number }): void => {
    if (token.ballast === null || !apply(drop, held, [token])) return;
    reservedPages -= token.pages;
    token.ballast = null;
  };

  /** A private copy of a BufferSource, read through the intrinsics captured above. */
  const ownBytes = (source: unknown, what: string): { bytes: Uint8Array; length: number } => {
    let buffer: unknown;
    let offset: unknown = 0;
    let length: unknown;
    // Indexed loops: an iterator would call whatever the tool put on Array.prototype.
    if (apply(isView, AB, [source])) {
      for (let i = 0; i < viewParts.length && buffer === undefined; i++) {
        const parts = viewParts[i] as Method[];
        try {
          offset = apply(parts[1] as Method, source, []);
          length = apply(parts[2] as Method, source, []);
          buffer = apply(parts[0] as Method, source, []);
        } catch {
          // Not this kind of view.
        }
      }
    } else {
      for (let i = 0; i < bufferLengths.length && buffer === undefined; i++) {
        try {
          length = apply(bufferLengths[i] as Method, source, []);
          buffer = source;
        } catch {
          // Not this kind of buffer.
        }
      }
    }
    if (buffer === undefined) throw new TE(`${what}: argument must be a buffer source`);
    const bytes = new U8(length as number);
    apply(copyInto, bytes, [new U8(buffer as ArrayBuffer, offset as number, length as number)]);
    return { bytes, length: length as number };
  };

  /** The pages a module's own memories will take, or a refusal naming why. */
  const checkedPages = (bytes: Uint8Array, length: number, what: string): number => {
    const pages = pagesOf(bytes, length);
    if (pages === -1) {
      throw memoryLimit(
        `${what}: a memory the module defines has no maximum, so it cannot count against the tool's ` +
          `${limitMb} MB memory limit; build it with a maximum memory size`,
      );
    }
    if (pages === -2) {
      throw memoryLimit(`${what}: shared WebAssembly memory is not available in the sandbox`);
    }
    if (pages < 0) throw new CompileError(`${what}: the module's sections could not be read`);
    return pages;
  };
  const record = (module: object, pages: number): void => {
    apply(weakSet, pagesByModule, [module, pages]);
  };
  const modulePages = (module: unknown, what: string): number => {
    const pages = apply(weakGet, pagesByModule, [module]) as number | undefined;
    if (pages === undefined) throw new TE(`${what}: argument must be a WebAssembly.Module`);
    return pages;
  };
  type Constructor = new (...args: never[]) => object;
  const make = (Original: unknown, args: unknown[], target: unknown): object =>
    construct(Original as Constructor, args, target as Constructor) as object;

  function Module(this: unknown, source: unknown): object {
    if (new.target === undefined) throw new TE("WebAssembly.Module must be called with 'new'");
    const { bytes, length } = ownBytes(source, 'WebAssembly.Module()');
    const pages = checkedPages(bytes, length, 'WebAssembly.Module()');
    const module = make(OriginalModule, [bytes], new.target);
    record(module, pages);
    return module;
  }
  function Instance(this: unknown, module: unknown, imports?: unknown): object {
    if (new.target === undefined) throw new TE("WebAssembly.Instance must be called with 'new'");
    const token = reserve(modulePages(module, 'WebAssembly.Instance()'), 'WebAssembly.Instance()');
    try {
      return make(OriginalInstance, [module, imports], new.target);
    } catch (error) {
      release(token);
      throw error;
    }
  }
  function Memory(this: unknown, options: unknown): object {
    if (new.target === undefined) throw new TE("WebAssembly.Memory must be called with 'new'");
    if (typeof options !== 'object' || options === null) {
      throw new TE('WebAssembly.Memory(): argument must be an object');
    }
    // Each field is read once, and V8 is handed only those values.
    const given = options as Record<string, unknown>;
    const initial = given['initial'];
    const maximum = given['maximum'];
    const isShared = given['shared'];
    const address = given['address'];
    if (isShared) throw memoryLimit('WebAssembly.Memory(): shared memory is not available in the sandbox');
    if (maximum === undefined) {
      throw memoryLimit(
        `WebAssembly.Memory(): a maximum (in 64 KiB pages) is needed so the memory counts against the ` +
          `tool's ${limitMb} MB memory limit`,
      );
    }
    const maximumPages = N(maximum);
    if (!isFinite(maximumPages) || maximumPages < 0) {
      throw new TE('WebAssembly.Memory(): maximum must be a number of 64 KiB pages');
    }
    const clean: Record<string, unknown> = {
      initial: typeof initial === 'bigint' ? initial : N(initial),
      maximum: typeof maximum === 'bigint' ? maximum : maximumPages,
    };
    if (address !== undefined) clean['address'] = S(address);
    const token = reserve(ceil(maximumPages), 'WebAssembly.Memory()');
    try {
      return make(OriginalMemory, [clean], new.target);
    } catch (error) {
      release(token);
      throw error;
    }
  }
  // The asynchronous forms compile synchronously: isolated-vm does not reliably run V8's background
  // compilation tasks, so their promises could otherwise stay pending forever.
  const settled = (make: () => unknown): Promise<unknown> => {
    try {
      return apply(resolve, P, [make()]) as Promise<unknown>;
    } catch (error) {
      return apply(reject, P, [error]) as Promise<unknown>;
    }
  };
  const compile = (source: unknown): Promise<unknown> =>
    settled(() => new (Module as unknown as Constructor)(source as never));
  const instantiate = (source: unknown, imports?: unknown): Promise<unknown> =>
    settled(() => {
      const NewInstance = Instance as unknown as Constructor;
      if (apply(weakGet, pagesByModule, [source]) !== undefined) {
        return new NewInstance(source as never, imports as never);
      }
      const module = new (Module as unknown as Constructor)(source as never);
      return { module, instance: new NewInstance(module as never, imports as never) };
    });

  const replace = (Wrapper: unknown, Original: { prototype: object }, statics: string[]): void => {
    const wrapper = Wrapper as Record<string, unknown>;
    define(wrapper, 'prototype', { value: Original.prototype, writable: false });
    // The originals stay reachable only here: a prototype's constructor now names the wrapper.
    define(Original.prototype, 'constructor', { value: Wrapper, writable: true, configurable: true });
    for (const name of statics) wrapper[name] = (Original as unknown as Record<string, unknown>)[name];
  };
  replace(Module, OriginalModule, ['exports', 'imports', 'customSections']);
  replace(Instance, OriginalInstance, []);
  replace(Memory, OriginalMemory, []);
  const slot = { writable: true, configurable: true, enumerable: false };
  define(wasm, 'Module', { ...slot, value: Module });
  define(wasm, 'Instance', { ...slot, value: Instance });
  define(wasm, 'Memory', { ...slot, value: Memory });
  define(wasm, 'compile', { ...slot, value: compile });
  define(wasm, 'instantiate', { ...slot, value: instantiate });
  delete wasm.compileStreaming;
  delete wasm.instantiateStreaming;
}
