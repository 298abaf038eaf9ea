// How a CLI verb prints a result: JSON with --json, otherwise lines or a table for people.
import { out } from './setup.ts';

export type Row = Record<string, string>;

/** Columns padded to their widest cell; the last column is left as long as it is. */
export function table(rows: readonly Row[], columns: readonly string[]): string {
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [
    line(columns.map((c) => c.toUpperCase())),
    ...rows.map((r) => line(columns.map((c) => r[c] ?? ''))),
  ].join('\n');
}

/** Prints `value` as JSON when `json`, otherwise `text()`. */
export function print(json: boolean | undefined, value: unknown, text: () => string): void {
  out(json ? JSON.stringify(value, null, 2) : text());
}
