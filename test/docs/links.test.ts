import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { anchorsOf, documentationFiles, linksOf, ROOT, type Link } from './markdown.ts';

/**
 * Every relative link in the README and docs/ points at a file that exists, and every `#anchor` at a heading
 * of that page. External links are not fetched: the check runs offline.
 */
function problemOf(link: Link): string | null {
  if (/^[a-z][a-z0-9+.-]*:/i.test(link.target)) return null; // https:, mailto:, …
  const [pathPart = '', anchor] = link.target.split('#', 2);
  const target =
    pathPart === '' ? link.file : path.join(path.dirname(link.file), decodeURIComponent(pathPart));
  if (path.relative(ROOT, path.resolve(ROOT, target)).startsWith('..'))
    return 'points outside the repository';
  if (!fs.existsSync(path.join(ROOT, target))) return `${target} does not exist`;
  if (anchor === undefined) return null;
  if (!target.endsWith('.md')) return `an anchor into ${target}, which is not a Markdown page`;
  return anchorsOf(target).has(anchor) ? null : `${target} has no heading for #${anchor}`;
}

test('every relative link and anchor in README.md and docs/ resolves', () => {
  const broken = documentationFiles()
    .flatMap(linksOf)
    .map((link) => ({ link, problem: problemOf(link) }))
    .filter(({ problem }) => problem !== null)
    .map(({ link, problem }) => `${link.file}:${link.line}: ${link.target}: ${problem}`);
  assert.deepEqual(broken, []);
});

test('the check finds a broken link and a missing anchor', () => {
  assert.match(problemOf({ file: 'README.md', line: 1, target: 'docs/nowhere.md' }) ?? '', /does not exist/);
  assert.match(
    problemOf({ file: 'docs/hub.md', line: 1, target: 'operations.md#no-such-heading' }) ?? '',
    /no heading/,
  );
  assert.equal(problemOf({ file: 'docs/hub.md', line: 1, target: 'operations.md#gateway-limits' }), null);
  assert.equal(problemOf({ file: 'README.md', line: 1, target: '#quick-start' }), null);
});
