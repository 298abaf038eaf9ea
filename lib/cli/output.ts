// Output as every `plexus` verb prints it: a table or `key  value` lines for people, `--json` for programs.

export interface Column<R> {
  header: string;
  value: (row: R) => string | number | boolean | null | undefined;
}

/** The text of one cell: nothing shows as `-`, and a cell stays on one line. */
function cell(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined || value === '') return '-';
  return String(value).replace(/\s+/g, ' ');
}

/** Rows under upper-case headers, columns padded to their widest cell; `empty` when there are no rows. */
export function table<R>(rows: readonly R[], columns: readonly Column<R>[], empty = '(none)'): string {
  if (rows.length === 0) return empty;
  const cells = [
    columns.map((c) => c.header.toUpperCase()),
    ...rows.map((row) => columns.map((c) => cell(c.value(row)))),
  ];
  const widths = columns.map((_, i) => Math.max(...cells.map((line) => (line[i] ?? '').length)));
  return cells
    .map((line) =>
      line
        .map((text, i) => (i === line.length - 1 ? text : text.padEnd(widths[i] ?? 0)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** `key  value` lines, keys padded: one record shown whole. */
export function fields(pairs: readonly [string, string | number | boolean | null | undefined][]): string {
  const width = Math.max(...pairs.map(([key]) => key.length));
  return pairs.map(([key, value]) => `${key.padEnd(width)}  ${cell(value)}`).join('\n');
}

export interface Printer {
  /** Whether `--json` was asked for. */
  readonly json: boolean;
  /** Prints `data` as JSON with --json, else what `human()` makes of it. */
  result(data: unknown, human: () => string): void;
}

/** Prints to stdout (results are stdout; diagnostics and logs stderr). */
export function printer(
  json: boolean | undefined,
  write: (text: string) => unknown = (text) => process.stdout.write(text),
): Printer {
  return {
    json: json === true,
    result(data, human) {
      write(`${json ? JSON.stringify(data, null, 2) : human()}\n`);
    },
  };
}
