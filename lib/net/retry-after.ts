/**
 * How long a `Retry-After` header (RFC 9110 §10.2.3: delay seconds or an HTTP date) asks to wait, in ms;
 * null when there is none or it cannot be read. A date in the past means "now" (0).
 */
export function retryAfterMs(header: string | null | undefined, now = Date.now()): number | null {
  const value = header?.trim();
  if (!value) return null;
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const at = Date.parse(value);
  // Only the HTTP-date form: anything else (a negative or fractional number, text) is unreadable.
  if (Number.isNaN(at) || !/[a-z]/i.test(value)) return null;
  return Math.max(0, at - now);
}
