import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NO_MAXIMUM, SHARED, UNREADABLE, definedMemoryPages } from './wasm-guard.ts';

const HEADER = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];

/** A binary of the header and the given sections, each given as [id, ...payload]. */
function binary(...sections: number[][]): Uint8Array {
  const bytes = [...HEADER];
  for (const [id, ...payload] of sections) bytes.push(id as number, payload.length, ...payload);
  return new Uint8Array(bytes);
}

const pages = (bytes: Uint8Array): number => definedMemoryPages(bytes, bytes.length);

test('definedMemoryPages sums the maxima of the memories a module defines', () => {
  assert.equal(pages(binary()), 0);
  // One memory, min 1, max 2048 (LEB128 0x80 0x10).
  assert.equal(pages(binary([5, 1, 0x01, 0x01, 0x80, 0x10])), 2048);
  // Two memories, and a type section before them.
  assert.equal(pages(binary([1, 1, 0x60, 0, 0], [5, 2, 0x01, 0x00, 0x02, 0x01, 0x01, 0x03])), 5);
  // memory64 with a maximum.
  assert.equal(pages(binary([5, 1, 0x05, 0x01, 0x10])), 16);
  // A custom section holding bytes shaped like a memory section is not one.
  assert.equal(pages(binary([0, 4, 0x61, 0x01, 0x00, 0x01])), 0);
  // Only the bytes up to `length` count.
  const padded = new Uint8Array([...binary([5, 1, 0x01, 0x01, 0x02]), 0x05, 0x03]);
  assert.equal(definedMemoryPages(padded, padded.length - 2), 2);
});

test('definedMemoryPages refuses what cannot be bounded or read', () => {
  assert.equal(pages(binary([5, 1, 0x00, 0x01])), NO_MAXIMUM);
  assert.equal(pages(binary([5, 1, 0x04, 0x01])), NO_MAXIMUM);
  assert.equal(pages(binary([5, 1, 0x03, 0x01, 0x01])), SHARED);
  assert.equal(pages(binary([5, 1, 0x08, 0x01, 0x01, 0x10])), UNREADABLE);
  assert.equal(pages(new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00])), UNREADABLE);
  assert.equal(pages(new Uint8Array(HEADER.slice(0, 6))), UNREADABLE);
  // A section running past the end, a memory section with bytes left over, a LEB128 that never ends.
  assert.equal(pages(new Uint8Array([...HEADER, 5, 9, 1, 0x01, 0x01])), UNREADABLE);
  assert.equal(pages(binary([5, 1, 0x01, 0x01, 0x02, 0x00])), UNREADABLE);
  assert.equal(
    pages(binary([5, 1, 0x01, 0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01])),
    UNREADABLE,
  );
});
