import assert from 'node:assert/strict';
import { test } from 'node:test';
import { invalid, PlexusError } from '../errors.ts';
import { describeError, exitCodeOf } from './errors.ts';
import { durationFlag, intFlag, jsonFlag, parseFlags } from './flags.ts';
import { fields, printer, table } from './output.ts';

const thrown = (fn: () => unknown): PlexusError => {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof PlexusError, String(error));
    return error;
  }
  assert.fail('did not throw');
};

test('flags: node parseArgs failures are said as flags, with the usage exit code', () => {
  const options = { limit: { type: 'string' }, json: { type: 'boolean' } } as const;
  assert.deepEqual({ ...parseFlags(['--limit', '5', '--json'], options).values }, { limit: '5', json: true });
  const cases: [string[], string][] = [
    [['--nope'], 'unknown flag --nope'],
    [['--limit'], '--limit: needs a value'],
    [['--json=yes'], '--json: takes no value'],
    [['extra'], "unexpected argument 'extra'"],
  ];
  for (const [argv, message] of cases) {
    const error = thrown(() => parseFlags(argv, options));
    assert.equal(error.message, message);
    assert.equal(exitCodeOf(error), 2);
  }
  assert.equal(intFlag('limit', undefined, { min: 1, max: 9 }), undefined);
  assert.equal(intFlag('limit', '9', { min: 1, max: 9 }), 9);
  for (const bad of ['0', '10', '1.5', 'abc', ''])
    assert.equal(
      thrown(() => intFlag('limit', bad, { min: 1, max: 9 })).message,
      `--limit: must be a whole number from 1 to 9, got '${bad}'`,
    );
  assert.deepEqual(
    ['90', '15m', '1h', '2d', '1w'].map((t) => durationFlag('ttl', t)),
    [90, 900, 3600, 172_800, 604_800],
  );
  assert.match(
    thrown(() => durationFlag('deadline', 'soon')).message,
    /^--deadline: 'soon' is not a duration/,
  );
  assert.deepEqual(jsonFlag('{"a":[1]}'), { a: [1] });
  assert.equal(jsonFlag('plain words'), 'plain words');
});

test('errors: a field from a schema or a server is said as the flag; other errors keep their words', () => {
  const names = { scopes: '--scope', ttl_seconds: '--ttl', id: '<id>' };
  assert.equal(
    describeError(
      'plexus token',
      invalid('scopes.0', 'Invalid option: expected one of "read"|"write"'),
      names,
    ),
    'plexus token: --scope: Invalid option: expected one of "read"|"write"',
  );
  assert.equal(
    describeError('plexus token', invalid('ttl_seconds', 'Too small: expected number to be >=60'), names),
    'plexus token: --ttl: Too small: expected number to be >=60',
  );
  // A server's message that does not start with the field gets the flag in front.
  const refused = new PlexusError('not_found', 'task_not_found', 'no such task', {
    field: 'id',
    hint: 'list them',
  });
  assert.equal(
    describeError('plexus tasks get', refused, names),
    'plexus tasks get: <id>: no such task\n  hint: list them',
  );
  assert.equal(exitCodeOf(refused), 1);
  // Fields the person did not type are left as they are; so are errors that are not Plexus errors.
  assert.equal(describeError('p', invalid('other', 'bad'), names), 'p: other: bad');
  assert.equal(describeError('p', new Error('boom')), 'p: boom');
  // A bad stored file is not a usage mistake.
  assert.equal(exitCodeOf(new PlexusError('invalid', 'identity_file_corrupted', 'x')), 1);
});

test('output: a padded table with upper-case headers, key-value fields, JSON with --json', () => {
  const rows = [
    { name: 'alice', load: 0.5, note: null },
    { name: 'bob', load: 1, note: 'two\nlines' },
  ];
  const text = table(rows, [
    { header: 'name', value: (r) => r.name },
    { header: 'load', value: (r) => r.load },
    { header: 'note', value: (r) => r.note },
  ]);
  assert.equal(text, ['NAME   LOAD  NOTE', 'alice  0.5   -', 'bob    1     two lines'].join('\n'));
  assert.equal(table([], [{ header: 'x', value: () => 1 }], '(none here)'), '(none here)');
  assert.equal(
    fields([
      ['did', 'did:key:z'],
      ['capabilities', ''],
    ]),
    'did           did:key:z\ncapabilities  -',
  );
  const written: string[] = [];
  printer(true, (t) => void written.push(t)).result({ a: 1 }, () => 'human');
  printer(false, (t) => void written.push(t)).result({ a: 1 }, () => 'human');
  assert.deepEqual(written, ['{\n  "a": 1\n}\n', 'human\n']);
});
