/**
 * Turns free text into a safe FTS5 query: every word becomes a quoted prefix term and all must match, so
 * user input can never use FTS5 syntax (NEAR, column filters, unbalanced quotes). Null when there are no words.
 */
export function ftsQuery(text: string): string | null {
  const words = text.toLowerCase().match(/[\p{L}\p{N}_]+/gu);
  if (!words) return null;
  return [...new Set(words)]
    .slice(0, 16)
    .map((word) => `"${word}"*`)
    .join(' ');
}
