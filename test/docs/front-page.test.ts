import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { codeBlocksOf, documentationFiles, linksOf, ROOT } from './markdown.ts';

/** README.md stays a front page: short, a quick start in two commands, a link to every page of docs/. */
test('README.md is a front page of at most 150 lines', () => {
  const lines = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8').trimEnd().split('\n');
  assert.ok(lines.length <= 150, `README.md has ${lines.length} lines; move detail to docs/`);
});

test('the quick start starts with two commands', () => {
  const [first] = codeBlocksOf('README.md').filter((block) => block.headings.includes('Quick start'));
  assert.ok(first, 'README.md has a Quick start with commands');
  const commands = first.content
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.trim().startsWith('#'));
  assert.equal(commands.length, 2, `two commands: ${JSON.stringify(commands)}`);
  assert.equal(commands[0], 'npm ci');
});

test('README.md links every page of docs/', () => {
  const linked = new Set(linksOf('README.md').map((link) => link.target.split('#')[0]));
  const pages = documentationFiles().filter((file) => file.startsWith('docs/'));
  assert.deepEqual(
    pages.filter((page) => !linked.has(page)),
    [],
  );
});
