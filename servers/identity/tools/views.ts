import type { IdentityState, LogEntry } from '../../../lib/identity/identity-log.ts';
import type { IssuedToken } from '../domain/tokens.ts';

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

/** An issued access token as the OAuth token response carries it (RFC 6749 §5.1). */
export function tokenResponseView(t: IssuedToken) {
  return {
    access_token: t.accessToken,
    token_type: 'Bearer' as const,
    expires_in: t.expiresIn,
    scope: t.scopes.join(' '),
  };
}
