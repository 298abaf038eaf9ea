// base64url without padding: the encoding of every signature and key on the wire.
export function toBase64Url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}

export function fromBase64Url(text: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) throw new Error('not base64url');
  return new Uint8Array(Buffer.from(text, 'base64url'));
}

export const utf8 = new TextEncoder();
