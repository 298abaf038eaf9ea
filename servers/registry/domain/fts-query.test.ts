import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ftsQuery, searchWords, tsQuery } from './fts-query.ts';

describe('search query building', () => {
  it('keeps only words, lower-cased and unique', () => {
    assert.deepEqual(searchWords('PDF pdf, Tables!'), ['pdf', 'tables']);
    assert.deepEqual(searchWords('Übersetzung 日本語 v2'), ['übersetzung', '日本語', 'v2']);
    assert.deepEqual(searchWords('  "" * : ( ) '), []);
    assert.equal(searchWords(Array.from({ length: 40 }, (_, i) => `w${i}`).join(' ')).length, 16);
  });

  it('never lets query syntax through', () => {
    for (const hostile of [
      'a" OR "b',
      'name:secret',
      'NEAR(a b)',
      'a* AND NOT b',
      "x') ; DROP TABLE registry_tools; --",
      'a & !b | c:*',
    ]) {
      const fts = ftsQuery(hostile) ?? '';
      for (const term of fts.split(' ')) assert.match(term, /^"[\p{L}\p{N}]+"\*$/u, hostile);
      const ts = tsQuery(hostile) ?? '';
      for (const term of ts.split(' & ')) assert.match(term, /^[\p{L}\p{N}]+:\*$/u, hostile);
    }
  });

  it('is null when there is nothing to search for', () => {
    assert.equal(ftsQuery('!!!'), null);
    assert.equal(tsQuery(''), null);
    assert.equal(ftsQuery('web fetch'), '"web"* "fetch"*');
    assert.equal(tsQuery('web fetch'), 'web:* & fetch:*');
  });
});
