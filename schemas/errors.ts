/**
 * Coded domain errors. Domain code throws these; the one MCP boundary (lib/mcp/define-tool.ts) renders them:
 * `invalid` as an input error naming the field, the rest as recoverable tool errors with a hint, and anything
 * else as an opaque internal error (logged, never leaked).
 */
export const ERROR_KINDS = {
  invalid: 'invalid input',
  unauthorized: 'not authenticated',
  forbidden: 'not allowed',
  not_found: 'not found',
  conflict: 'conflict',
  unavailable: 'unavailable',
  limit: 'limit exceeded',
  /** The other side failed without saying why: an internal error, or an answer that breaks its contract. */
  internal: 'internal error',
} as const;
export type ErrorKind = keyof typeof ERROR_KINDS;

export class PlexusError extends Error {
  readonly kind: ErrorKind;
  /** Stable machine-readable code, e.g. `signature_invalid`, `inbox_forbidden`. */
  readonly code: string;
  readonly hint: string | undefined;
  /** The input field the error is about, when there is one (dotted path). */
  readonly field: string | undefined;

  constructor(
    kind: ErrorKind,
    code: string,
    message: string,
    options: { hint?: string; field?: string } = {},
  ) {
    super(message);
    this.name = 'PlexusError';
    this.kind = kind;
    this.code = code;
    this.hint = options.hint;
    this.field = options.field;
  }
}

export function isErrorKind(value: unknown): value is ErrorKind {
  return typeof value === 'string' && Object.hasOwn(ERROR_KINDS, value);
}

export function invalid(field: string, message: string, code = 'invalid_input'): PlexusError {
  return new PlexusError('invalid', code, `${field}: ${message}`, { field });
}
