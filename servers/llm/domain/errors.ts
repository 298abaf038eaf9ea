// How backend failures are classified: the class decides retry, fallback and cooldown.

export const FAILURES = {
  rate_limited: { retryable: true, cools: true },
  overloaded: { retryable: true, cools: true },
  timeout: { retryable: true, cools: true },
  unreachable: { retryable: true, cools: true },
  /** The answer stream broke off or was malformed. */
  protocol: { retryable: true, cools: true },
  auth: { retryable: false, cools: true },
  model_missing: { retryable: false, cools: true },
  /** The prompt does not fit: a larger-context deployment may take it. */
  context_window: { retryable: false, cools: false },
  /** The request itself is wrong for this deployment (e.g. tools unsupported); another may take it. */
  bad_request: { retryable: false, cools: false },
  canceled: { retryable: false, cools: false },
} as const;
export type FailureKind = keyof typeof FAILURES;

export class BackendError extends Error {
  readonly failure: FailureKind;
  readonly status: number | undefined;
  /** From Retry-After, in ms. */
  readonly retryAfterMs: number | undefined;

  constructor(
    failure: FailureKind,
    message: string,
    options: { status?: number; retryAfterMs?: number } = {},
  ) {
    super(message);
    this.name = 'BackendError';
    this.failure = failure;
    this.status = options.status;
    this.retryAfterMs = options.retryAfterMs;
  }
}

const CONTEXT_PATTERN =
  /context[ _-]?(length|window)|maximum context|context_length_exceeded|too many tokens|exceeds the (context|maximum)|prompt is too long/i;
const MISSING_PATTERN = /model .*not found|does not exist|model_not_found|no such model|try pulling/i;

export function isContextOverflow(message: string): boolean {
  return CONTEXT_PATTERN.test(message);
}

/** Classifies an HTTP error status and its message. */
export function failureForStatus(status: number, message: string): FailureKind {
  if (isContextOverflow(message)) return 'context_window';
  if (status === 429) return 'rate_limited';
  if (status === 408 || status >= 500) return MISSING_PATTERN.test(message) ? 'model_missing' : 'overloaded';
  if (status === 401 || status === 403) return 'auth';
  if (status === 404) return 'model_missing';
  return 'bad_request';
}

/** Retry-After: delta seconds or an HTTP date, as ms from `now`; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, now: number): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Turns a thrown fetch/stream error (not an HTTP status) into a BackendError. */
export function classifyThrown(error: unknown): BackendError {
  if (error instanceof BackendError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const cause =
    error instanceof Error ? (error.cause as { code?: string; message?: string } | undefined) : undefined;
  if (error instanceof Error && error.name === 'AbortError')
    return new BackendError('canceled', 'request aborted');
  if (isContextOverflow(message)) return new BackendError('context_window', message);
  if (MISSING_PATTERN.test(message)) return new BackendError('model_missing', message);
  if (
    cause?.code &&
    /ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ECONNRESET|EAI_AGAIN|UND_ERR_SOCKET|ETIMEDOUT/.test(cause.code)
  )
    return new BackendError('unreachable', `${message}: ${cause.code}`);
  if (message === 'fetch failed')
    return new BackendError('unreachable', `${message}${cause?.message ? `: ${cause.message}` : ''}`);
  return new BackendError('protocol', message);
}
