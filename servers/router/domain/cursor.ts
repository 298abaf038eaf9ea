import { invalid } from '../../../lib/errors.ts';
import type { InboxCursor } from './store.ts';

// Cursors are opaque to clients: base64url of the position, so nobody builds one by hand and relies on it.

export function encodeInboxCursor(cursor: InboxCursor): string {
  return Buffer.from(`i:${cursor.rank}:${cursor.seq}`).toString('base64url');
}

export function decodeInboxCursor(text: string): InboxCursor {
  const match = /^i:(\d{1,2}):(\d{1,15})$/.exec(Buffer.from(text, 'base64url').toString('utf8'));
  if (!match) throw invalid('cursor', 'is not a cursor this inbox returned', 'cursor_invalid');
  return { rank: Number(match[1]), seq: Number(match[2]) };
}

export function encodeEventCursor(seq: number): string {
  return Buffer.from(`e:${seq}`).toString('base64url');
}

export function decodeEventCursor(text: string): number {
  const match = /^e:(\d{1,15})$/.exec(Buffer.from(text, 'base64url').toString('utf8'));
  if (!match) throw invalid('cursor', 'is not a cursor fetch_events returned', 'cursor_invalid');
  return Number(match[1]);
}
