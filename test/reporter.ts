import path from 'node:path';
import type { TestEvent } from 'node:test/reporters';
import { inspect } from 'node:util';

/**
 * `npm test`'s reporter. node --test's own reporters keep the order in which tests are declared, so with
 * several files running at once a file's results wait until every file before it has finished: nothing
 * appears for minutes. This one works from `test:complete`, which comes as each test ends: a line per test as
 * it ends (a failure with its error, a skip with its reason) and per test file as it finishes; then, as the
 * spec reporter does, the totals (`ℹ tests N`, `ℹ pass N`, `ℹ fail N`, …) and the failures again — with the
 * end of the output of a file that failed outside any test (it crashed or never loaded), which arrives only
 * in declaration order.
 */

type Complete = Extract<TestEvent, { type: 'test:complete' }>['data'];

interface FileTally {
  tests: number;
  failed: number;
  skipped: number;
  /** The last lines the file's process wrote, shown when the file fails. */
  output: string[];
}

const OUTPUT_LINES = 40;
const cwd = process.cwd();
const relative = (file: string) => path.relative(cwd, path.resolve(cwd, file));

export default async function* reporter(source: AsyncIterable<TestEvent>): AsyncGenerator<string> {
  const files = new Map<string, FileTally>();
  const tally = (file: string) => {
    let found = files.get(file);
    if (!found) files.set(file, (found = { tests: 0, failed: 0, skipped: 0, output: [] }));
    return found;
  };
  const failures: string[] = [];
  const crashed: string[] = [];

  for await (const event of source) {
    switch (event.type) {
      case 'test:stdout':
      case 'test:stderr': {
        const { output } = tally(relative(event.data.file));
        output.push(...event.data.message.replace(/\n$/, '').split('\n'));
        output.splice(0, output.length - OUTPUT_LINES);
        break;
      }
      case 'test:complete': {
        const test = event.data;
        const file = relative(test.file ?? '');
        if (test.nesting === 0 && relative(test.name) === file) {
          const counts = tally(file);
          if (!test.details.passed && counts.failed === 0) crashed.push(file);
          yield fileLine(file, counts, test);
          break;
        }
        if (test.details.type === 'suite' && !suiteFailedItself(test)) break;
        const counts = tally(file);
        counts.tests++;
        if (test.skip !== undefined || test.todo !== undefined) {
          counts.skipped++;
          yield `  ﹣ ${file} › ${test.name} (${skipReason(test)})\n`;
        } else if (!test.details.passed) {
          counts.failed++;
          const failure = failureText(file, test);
          failures.push(failure);
          yield `  ${failure}`;
        } else {
          yield `  ✔ ${file} › ${test.name} (${duration(test.details.duration_ms)})\n`;
        }
        break;
      }
      case 'test:diagnostic':
        yield `${'  '.repeat(event.data.nesting)}ℹ ${event.data.message}\n`;
        break;
      default:
        break;
    }
  }
  for (const file of crashed) {
    const output = tally(file).output;
    failures.push(`✖ ${file} failed outside its tests; its last output:\n${indent(output.join('\n'))}`);
  }
  if (failures.length > 0) yield `\n✖ failing tests:\n\n${failures.join('\n')}`;
}

function fileLine(file: string, counts: FileTally, test: Complete): string {
  const parts = [`${counts.tests} test${counts.tests === 1 ? '' : 's'}`];
  if (counts.failed) parts.push(`${counts.failed} failed`);
  if (counts.skipped) parts.push(`${counts.skipped} skipped`);
  const line = `${test.details.passed ? '✔' : '✖'} ${file}: ${parts.join(', ')} (${duration(test.details.duration_ms)})\n`;
  if (test.details.passed || counts.failed > 0) return line;
  return `${line}${indent(`the file failed outside its tests: ${errorText(test.details.error)}`)}`;
}

/** A suite's failure is worth its own entry only when it is not just its tests' failures (a hook threw). */
function suiteFailedItself(test: Complete): boolean {
  const error = test.details.error as (Error & { failureType?: string }) | undefined;
  return !test.details.passed && error?.failureType !== 'subtestsFailed';
}

function skipReason(test: Complete): string {
  const reason = test.skip ?? test.todo;
  const kind = test.skip !== undefined ? 'skipped' : 'todo';
  return typeof reason === 'string' ? `${kind}: ${reason}` : kind;
}

function failureText(file: string, test: Complete): string {
  const where = test.line ? `${file}:${test.line}` : file;
  return `✖ ${where} › ${test.name} (${duration(test.details.duration_ms)})\n${indent(errorText(test.details.error))}`;
}

function duration(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/**
 * The test's own error, which the runner wraps; the runner's own verdicts (timed out, cancelled, exit code)
 * come as a bare message.
 */
function errorText(error: Error | undefined): string {
  if (!error) return 'failed';
  const cause = (error as Error & { cause?: unknown }).cause;
  if (typeof cause === 'string') return cause;
  return inspect(cause ?? error, { depth: 4, colors: false });
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n')
    .concat('\n');
}
