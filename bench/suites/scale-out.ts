// Scale-out messages: bench/scale-out.ts (two router replicas on one PostgreSQL database with Redis fan-out)
// run against the local services, in a database created for the run and dropped after it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { measureScaleOutMessages } from '../scale-out.ts';
import { summarize, type Suite } from '../harness.ts';

const ADMIN_URL = process.env['PLEXUS_BENCH_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env['PLEXUS_BENCH_REDIS_URL'] ?? 'redis://127.0.0.1:6379';

export const suite: Suite = {
  name: 'scale-out',
  description:
    'messages across two router replicas on PostgreSQL + Redis: stored/s, delivered/s, wake-up latency',
  async run({ quick, progress }) {
    const name = `plexus_bench_${process.pid}_${Date.now()}`;
    const admin = new pg.Client({ connectionString: ADMIN_URL });
    await admin.connect();
    const dataDir = mkdtempSync(join(tmpdir(), 'plexus-bench-'));
    try {
      await admin.query(`CREATE DATABASE ${name}`);
      const url = new URL(ADMIN_URL);
      url.pathname = `/${name}`;
      const runs = quick ? 1 : 3;
      const all = [];
      for (let r = 0; r < runs; r++) {
        progress(`run ${r + 1}/${runs}`);
        all.push(
          await measureScaleOutMessages({
            databaseUrl: url.toString(),
            redisUrl: REDIS_URL,
            dataDir,
            messages: quick ? 1000 : 3000,
          }),
        );
      }
      return {
        metrics: {
          'stored through replica 1': summarize(
            all.map((f) => f.sendPerSecond),
            'msgs/s',
          ),
          'delivered on replica 2': summarize(
            all.map((f) => f.deliverPerSecond),
            'msgs/s',
          ),
          'cross-replica wake-up p50': summarize(
            all.map((f) => f.wakeP50Ms),
            'ms',
          ),
          'cross-replica wake-up p95': summarize(
            all.map((f) => f.wakeP95Ms),
            'ms',
          ),
        },
        goals: [],
        notes: [
          'two router replicas in this process (in-process MCP clients, no hub HTTP front), one PostgreSQL database, Redis fan-out; sealed 1 KiB messages in batches of 100',
        ],
      };
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => {});
      await admin.end();
      rmSync(dataDir, { recursive: true, force: true });
    }
  },
};
