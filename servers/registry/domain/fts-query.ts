/**
 * The words of a free-text search (lower case, unique, at most 16). Each store turns them into its own
 * query syntax term by term, so user input can never use FTS syntax (NEAR, column filters, operators).
 */
export function searchWords(text: string): string[] {
  return [...new Set(text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [])].slice(0, 16);
}

/** SQLite FTS5: every word a quoted prefix term, all must match. Null when there are no words. */
export function ftsQuery(text: string): string | null {
  const words = searchWords(text);
  return words.length ? words.map((word) => `"${word}"*`).join(' ') : null;
}

/** PostgreSQL to_tsquery: every word a prefix term, all must match. Null when there are no words. */
export function tsQuery(text: string): string | null {
  const words = searchWords(text);
  return words.length ? words.map((word) => `${word}:*`).join(' & ') : null;
}
