import type { CallErrorCode } from './protocol.ts';

/** A call ended from outside the isolate (deadline, CPU, memory), with the cause the tool is told. */
export class Killed extends Error {
  readonly code: CallErrorCode;
  /** The worker cannot be trusted with more calls (memory not given back, a thread still busy). */
  retire: boolean;
  constructor(code: CallErrorCode, message: string, retire = false) {
    super(message);
    this.code = code;
    this.retire = retire;
  }
}

/**
 * The end of a call decided by the watchdog. Every await of the call races against it, so the call is
 * answered at once even when the isolate is stuck inside one long operation that disposing cannot interrupt.
 */
export class Stop {
  reason: Killed | null = null;
  readonly #stopped: Promise<never>;
  #reject: (reason: Killed) => void = () => {};

  constructor() {
    this.#stopped = new Promise<never>((_resolve, reject) => {
      this.#reject = reject;
    });
    this.#stopped.catch(() => {});
  }

  end(reason: Killed): void {
    this.reason = reason;
    this.#reject(reason);
  }

  race<T>(work: Promise<T>): Promise<T> {
    // The loser's rejection (from the disposed isolate) is expected: not an unhandled rejection.
    work.catch(() => {});
    return Promise.race([work, this.#stopped]);
  }
}

/** Whether `work` settles within `ms`. */
export async function settlesWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  const settled = work.then(
    () => true,
    () => true,
  );
  try {
    return await Promise.race([settled, late]);
  } finally {
    clearTimeout(timer);
  }
}
