import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { ROOT } from './markdown.ts';

/** Code comments cite conventions as `convention N "Name"`; CONTRIBUTING.md must list each as `N. **Name.**`. */
const SOURCE_FOLDERS = [
  'schemas',
  'lib',
  'servers',
  'sandbox',
  'hub',
  'agent-host',
  'bin',
  'scripts',
  'test',
  'bench',
];

function citations(): { file: string; number: string; name: string | undefined }[] {
  const found: { file: string; number: string; name: string | undefined }[] = [];
  for (const folder of SOURCE_FOLDERS) {
    for (const entry of fs.readdirSync(path.join(ROOT, folder), { recursive: true, encoding: 'utf8' })) {
      if (!entry.endsWith('.ts') || entry.endsWith('conventions.test.ts')) continue;
      const file = path.join(folder, entry);
      const text = fs.readFileSync(path.join(ROOT, file), 'utf8').replace(/\n\s*\*\s*/g, ' ');
      for (const match of text.matchAll(/convention (\d+)(?: "([^"]+)")?/g)) {
        found.push({ file, number: match[1] ?? '', name: match[2] });
      }
    }
  }
  return found;
}

test('every convention a comment cites is listed by number and name in CONTRIBUTING.md', () => {
  const contributing = fs.readFileSync(path.join(ROOT, 'CONTRIBUTING.md'), 'utf8');
  const listed = new Map(
    [...contributing.matchAll(/^(\d+)\. \*\*(.+?)\.\*\*/gm)].map((match) => [match[1], match[2]]),
  );
  assert.equal(listed.size, 12, 'CONTRIBUTING.md lists conventions 1 to 12');
  const found = citations();
  assert.ok(found.length > 0, 'the code cites conventions');
  const wrong = found
    .filter(({ number, name }) => name === undefined || listed.get(number) !== name)
    .map(
      ({ file, number, name }) =>
        `${file}: convention ${number} "${name ?? '(no name)'}" (CONTRIBUTING.md: "${listed.get(number) ?? 'none'}")`,
    );
  assert.deepEqual(wrong, []);
});
