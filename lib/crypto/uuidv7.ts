import { randomFillSync } from 'node:crypto';

let lastMs = -1;
let lastRand = new Uint8Array(10);

/**
 * A UUIDv7 (RFC 9562): 48-bit Unix milliseconds, then random bits. Within one millisecond the random part
 * is incremented, so ids made by one process sort in creation order.
 */
export function uuidv7(now: number = Date.now()): string {
  const ms = Math.max(0, Math.floor(now));
  const rand = new Uint8Array(10);
  if (ms === lastMs && !incremented(lastRand, rand)) {
    // 74 random bits overflowed within one millisecond: practically impossible; fall back to fresh bits.
    randomFillSync(rand);
  } else if (ms !== lastMs) {
    randomFillSync(rand);
  }
  lastMs = ms;
  lastRand = rand;
  const bytes = new Uint8Array(16);
  let t = ms;
  for (let i = 5; i >= 0; i--) {
    bytes[i] = t % 256;
    t = Math.floor(t / 256);
  }
  bytes.set(rand, 6);
  bytes[6] = 0x70 | ((bytes[6] ?? 0) & 0x0f);
  bytes[8] = 0x80 | ((bytes[8] ?? 0) & 0x3f);
  const hex = Buffer.from(bytes).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Writes previous + 1 (over the 74 non-fixed bits) into `out`; false on overflow. */
function incremented(previous: Uint8Array, out: Uint8Array): boolean {
  out.set(previous);
  for (let i = out.length - 1; i >= 0; i--) {
    // Skip the version nibble (byte 0 high bits) and variant bits (byte 2 high bits) by carrying past them.
    const max = i === 0 ? 0x0f : i === 2 ? 0x3f : 0xff;
    const value = (out[i] ?? 0) & max;
    if (value < max) {
      out[i] = (out[i] ?? 0) + 1;
      return true;
    }
    out[i] = (out[i] ?? 0) & ~max;
  }
  return false;
}

/** The creation time (ms) a UUIDv7 carries. */
export function uuidv7Timestamp(id: string): number {
  return parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
}
