import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { openSqliteMemory } from './domain/memory.ts';
import { agent, tempDir } from './testing.ts';

const WRITER = join(import.meta.dirname, 'concurrent-writer.fixture.ts');
const COUNT = 100;

test('two processes writing one store concurrently lose nothing', async (t) => {
  const path = join(tempDir(t), 'memory.db');
  const setup = openSqliteMemory({ path });
  const owner = agent().did;
  await setup.graph.createEntities(owner, [{ name: 'Shared', entityType: 'board', observations: [] }], {
    kind: 'public',
  });
  await setup.close();

  const children = ['a', 'b'].map((tag) => {
    const child = spawn(process.execPath, [WRITER, path, String(COUNT), agent().did, tag], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    t.after(() => {
      if (child.exitCode === null) child.kill();
    });
    return { child, lines: createInterface({ input: child.stdout })[Symbol.asyncIterator]() };
  });
  for (const { lines } of children) assert.equal((await lines.next()).value, 'ready');
  for (const { child } of children) child.stdin.end('go\n');
  const exits = await Promise.all(children.map(({ child }) => once(child, 'exit')));
  assert.deepEqual(exits, [
    [0, null],
    [0, null],
  ]);

  const memory = openSqliteMemory({ path });
  t.after(() => memory.close());
  const graph = await memory.graph.readGraph(owner);
  assert.equal(graph.entities.length, 1 + 2 * COUNT);
  const shared = graph.entities.find((e) => e.name === 'Shared');
  assert.equal(shared?.observations.length, 2 * COUNT);
  for (const tag of ['a', 'b']) {
    for (let i = 0; i < COUNT; i++) {
      assert.ok(shared.observations.includes(`${tag} wrote ${i}`), `${tag} ${i}`);
    }
  }
  const episodes = await memory.episodes.query(owner, { thread: 'race', limit: 500 });
  assert.equal(episodes.items.length, 2 * COUNT);
  const status = await memory.notes.status();
  assert.equal(status.spaces[0]?.vectors, 2 * COUNT);
  assert.equal(status.unembedded, false);
  const notes = await memory.notes.recall(owner, { query: 'note from', k: 100, mode: 'bm25' });
  assert.equal(notes.length, 100);
});
