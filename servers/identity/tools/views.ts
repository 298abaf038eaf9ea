import type { IdentityState, LogEntry } from '../domain/identity-log.ts';

/** Wire views of domain records shared by several tools. */
export function logHead(state: IdentityState): { seq: number; hash: string } {
  return { seq: state.headSeq, hash: state.headHash };
}

export function logEntryView(entry: LogEntry) {
  return {
    seq: entry.seq,
    type: entry.type,
    statement: entry.statement as Record<string, never>,
    prev_hash: entry.prevHash,
    hash: entry.hash,
    recorded_at: entry.recordedAt,
  };
}
