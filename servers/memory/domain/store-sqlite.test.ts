import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateIdentityKeys } from '../../../lib/crypto/identity-keys.ts';
import { LexicalEmbedder } from '../../../lib/embedding/lexical.ts';
import { seal } from './records.ts';
import { runMemoryStoreContract } from './store.contract.ts';
import { SqliteMemoryStore } from './store-sqlite.ts';

/** A public note by `author`, valid from t=1000. */
function publicNote(author: string, text: string) {
  return seal({
    author,
    scope: { kind: 'public' },
    recordedAt: 1000,
    validFrom: 1000,
    validTo: null,
    kind: 'note',
    body: { text },
  });
}

runMemoryStoreContract('sqlite', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'plexus-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return Promise.resolve(new SqliteMemoryStore({ path: join(dir, 'memory.db') }));
});

test('sqlite: vector search sees notes another connection committed, and never an aborted write', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'plexus-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'memory.db');
  const mine = new SqliteMemoryStore({ path });
  const theirs = new SqliteMemoryStore({ path });
  t.after(async () => {
    await mine.close();
    await theirs.close();
  });
  const embedder = new LexicalEmbedder({ dimension: 64 });
  const author = generateIdentityKeys().did;
  const filter = { viewer: author, at: 2000 };
  const remember = async (store: SqliteMemoryStore, text: string, abort = false): Promise<void> => {
    const space = await store.space(embedder.id, embedder.dimension);
    const record = publicNote(author, text);
    await store
      .write(async (tx) => {
        const [stored] = await tx.insert([record]);
        await tx.putVectors(space.id, [{ seq: stored?.seq ?? 0, vector: embedder.embedOne(text) }]);
        if (abort) throw new Error('aborted');
      })
      .catch((error: unknown) => {
        if (!abort) throw error;
      });
  };
  const texts = async (store: SqliteMemoryStore, query: string): Promise<string[]> => {
    const space = await store.space(embedder.id, embedder.dimension);
    const hits = await store.searchVector(space.id, embedder.embedOne(query), filter, 3);
    return hits.map((h) => (h.record.body as { text: string }).text);
  };
  await remember(mine, 'the boiler room key hangs by the door');
  assert.deepEqual(await texts(mine, 'boiler key'), ['the boiler room key hangs by the door']);
  await remember(theirs, 'the boiler was serviced in May');
  assert.equal((await texts(mine, 'boiler serviced')).at(0), 'the boiler was serviced in May');
  await remember(mine, 'the boiler manual is in the cupboard', true);
  assert.ok(!(await texts(mine, 'boiler manual cupboard')).includes('the boiler manual is in the cupboard'));
  // A vector written later for an older note (a re-embed elsewhere) is found too.
  const space = await theirs.space(embedder.id, embedder.dimension);
  const [late] = await theirs.write((tx) =>
    tx.insert([publicNote(author, 'the chimney sweep comes yearly')]),
  );
  await remember(theirs, 'the garden tap freezes in winter');
  assert.equal((await texts(mine, 'garden tap')).at(0), 'the garden tap freezes in winter');
  await theirs.putVectors(space.id, [
    { seq: late?.seq ?? 0, vector: embedder.embedOne('the chimney sweep comes yearly') },
  ]);
  assert.equal((await texts(mine, 'chimney sweep')).at(0), 'the chimney sweep comes yearly');
});

test('sqlite: BM25 ranks by the rarer words of a query when some of its words are in over a thousand notes', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'plexus-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const store = new SqliteMemoryStore({ path: join(dir, 'memory.db') });
  t.after(() => store.close());
  const author = generateIdentityKeys().did;
  const note = (text: string) => publicNote(author, text);
  await store.write((tx) =>
    tx.insert(Array.from({ length: 1001 }, (_, i) => note(`weekly status report ${i}`))),
  );
  await store.write((tx) => tx.insert([note('zebra crossing repainted'), note('weekly zebra count')]));
  const filter = { viewer: author, at: 2000 };
  const text = async (query: string): Promise<string[]> =>
    (await store.searchText(query, filter, 5)).map((h) => (h.record.body as { text: string }).text);
  // "weekly" is in 1,002 notes: only the notes with "zebra" are ranked.
  assert.deepEqual(
    new Set(await text('weekly zebra')),
    new Set(['weekly zebra count', 'zebra crossing repainted']),
  );
  // With nothing rarer, the common word still finds notes.
  assert.equal((await text('weekly status')).length, 5);
});
