// Worker process entry: runs tool calls in isolates, one call at a time, for the supervisor that forked it.
// Started with --no-node-snapshot (isolated-vm needs it). It exits when its parent goes away.
import { makeResolver } from './fetch-capability.ts';
import type { KvStore } from './kv-capability.ts';
import type { CallRequest, WorkerConfig, WorkerMessage } from './protocol.ts';
import { Runner } from './runner.ts';

const config = JSON.parse(process.argv[2] ?? '{}') as WorkerConfig;
// SQLite loads only when a tool first uses kv.
let kv: Promise<KvStore> | null = null;
const openKv = (): Promise<KvStore> =>
  (kv ??= import('./kv-capability.ts').then(({ KvStore }) => new KvStore(config.kvPath)));
// An isolate isolated-vm cannot recover leaves a thread behind: the process must end (the supervisor
// starts another).
const runner = new Runner(config, openKv, makeResolver(config.hosts ?? {}), (message) => {
  process.stderr.write(`sandbox worker: isolate failed beyond recovery: ${message}\n`);
  process.exit(70);
});

function send(message: WorkerMessage): void {
  process.send?.(message);
}

let queue = Promise.resolve();
process.on('message', (message: CallRequest) => {
  if (message?.type !== 'call') return;
  queue = queue.then(async () => send(await runner.call(message)));
});
process.on('disconnect', () => {
  runner.close();
  void (kv ?? Promise.resolve(null)).then((store) => {
    store?.close();
    process.exit(0);
  });
});
send({ type: 'ready', pid: process.pid });
