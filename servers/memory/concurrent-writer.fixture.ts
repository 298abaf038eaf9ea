// A child process for concurrency.test.ts: opens the memory store at argv[2] and, once told to go, writes
// argv[3] of each kind of record as agent argv[4]. Prints "ready" when open and "done" when finished.
import { createInterface } from 'node:readline';
import { openSqliteMemory } from './domain/memory.ts';

const [path, countText, did, tag] = process.argv.slice(2);
if (!path || !countText || !did || !tag) throw new Error('usage: <db> <count> <did> <tag>');
const count = Number(countText);
const memory = openSqliteMemory({ path });
const lines = createInterface({ input: process.stdin });
process.stdout.write('ready\n');
for await (const line of lines) {
  if (line !== 'go') continue;
  const pub = { kind: 'public' } as const;
  for (let i = 0; i < count; i++) {
    await memory.graph.createEntities(
      did,
      [{ name: `${tag}-${i}`, entityType: 'item', observations: [] }],
      pub,
    );
    await memory.graph.addObservations(did, [{ entityName: 'Shared', contents: [`${tag} wrote ${i}`] }]);
    await memory.notes.remember(did, { text: `note ${i} from ${tag}`, scope: pub });
    await memory.episodes.record(did, { thread: 'race', role: 'agent', content: `${tag} ${i}`, scope: pub });
  }
  await memory.close();
  process.stdout.write('done\n');
  break;
}
