import { test } from 'node:test';
import assert from 'node:assert/strict';
import { accessCovers, guestPath, isWithinRoot, resolvePermissionPath, rootFor } from './paths.ts';

test('isWithinRoot: the root itself and paths below it, nothing else', () => {
  const cases: [string, string, boolean][] = [
    ['/data', '/data', true],
    ['/data', '/data/', true],
    ['/data', '/data/a/b.txt', true],
    ['/data', '/data/../etc/passwd', false],
    ['/data', '/data/a/../../etc', false],
    ['/data', '/data-other/x', false],
    ['/data', '/dat', false],
    ['/data', '/', false],
    ['/data/', '/data/x', true],
    ['/', '/anything', true],
    ['/data', '/data/..hidden', true],
    ['/data', 'relative/path', false],
    ['relative', '/data', false],
  ];
  for (const [root, candidate, expected] of cases) {
    assert.equal(isWithinRoot(root, candidate), expected, `${candidate} within ${root}`);
  }
});

test('accessCovers: write implies read, read does not imply write', () => {
  assert.equal(accessCovers('write', 'read'), true);
  assert.equal(accessCovers('write', 'write'), true);
  assert.equal(accessCovers('read', 'read'), true);
  assert.equal(accessCovers('read', 'write'), false);
});

test('resolvePermissionPath: absolute, home and workspace-relative', () => {
  const base = { workspace: '/srv/ws', home: '/home/u' };
  assert.equal(resolvePermissionPath('/abs/x', base), '/abs/x');
  assert.equal(resolvePermissionPath('~/notes', base), '/home/u/notes');
  assert.equal(resolvePermissionPath('~', base), '/home/u');
  assert.equal(resolvePermissionPath('out', base), '/srv/ws/out');
  assert.equal(resolvePermissionPath('./out/', base), '/srv/ws/out');
});

test('rootFor picks a root with enough access that contains the target', () => {
  const roots = [
    { path: '/r/read', access: 'read' as const },
    { path: '/r/write', access: 'write' as const },
  ];
  assert.equal(rootFor(roots, '/r/read/a', 'read')?.path, '/r/read');
  assert.equal(rootFor(roots, '/r/read/a', 'write'), null);
  assert.equal(rootFor(roots, '/r/write/a', 'read')?.path, '/r/write');
  assert.equal(rootFor(roots, '/r/other', 'read'), null);
  assert.equal(rootFor([], '/r/read/a', 'read'), null);
});

test('guestPath resolves relative paths against the first root and rejects bad input', () => {
  const roots = [{ path: '/r/a', access: 'read' as const }];
  assert.equal(guestPath(roots, 'x/y.txt'), '/r/a/x/y.txt');
  assert.equal(guestPath(roots, '../../etc/passwd'), '/etc/passwd');
  assert.equal(guestPath(roots, '/abs'), '/abs');
  assert.throws(() => guestPath(roots, 'a\0b'), /NUL/);
  assert.throws(() => guestPath(roots, ''), /non-empty/);
  assert.throws(() => guestPath(roots, 42), /string/);
});
