import canonicalizeJson from 'canonicalize';

/** RFC 8785 (JCS) canonical JSON text of a value. */
export function canonicalize(value: unknown): string {
  const text = canonicalizeJson(value);
  if (text === undefined) throw new Error('value has no JSON form');
  return text;
}

/** The bytes that get signed: the canonical form of every field but `signature`. */
export function signingBytes(value: Record<string, unknown>): Uint8Array {
  const { signature: _ignored, ...rest } = value;
  return new TextEncoder().encode(canonicalize(rest));
}
