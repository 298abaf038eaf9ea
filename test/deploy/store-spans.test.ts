import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { context, trace } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace';
import { openPg } from '../../lib/store/pg.ts';
import { openSqlite } from '../../lib/store/sqlite.ts';
import { startTracing } from '../../lib/telemetry/tracing.ts';
import { freshPgDatabase } from '../helpers/services.ts';

/** Store statements in a traced process: a span each, under the request's span, both drivers. */

test('SQLite and PostgreSQL statements run in spans under the active one', async (t) => {
  const exporter = new InMemorySpanExporter();
  const tracing = startTracing({ serviceName: 'store-test', env: {}, exporter });
  assert.ok(tracing);
  t.after(() => tracing.shutdown());
  const parent = trace.getTracer('test').startSpan('request');
  const inRequest = <T>(run: () => T): T => context.with(trace.setSpan(context.active(), parent), run);

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plexus-store-spans-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const db = openSqlite({ path: path.join(dir, 'spans.sqlite') });
  t.after(() => db.close());
  db.exec('CREATE TABLE notes (body TEXT)');
  const insert = db.prepare('INSERT INTO notes (body) VALUES (?)');
  inRequest(() => insert.run('hello'));
  assert.deepEqual(
    inRequest(() => db.prepare('SELECT body FROM notes').all()),
    [{ body: 'hello' }],
  );

  const url = await freshPgDatabase(t);
  if (url) {
    const pool = openPg(url);
    t.after(() => pool.end());
    const { rows } = await inRequest(() => pool.query<{ n: number }>('SELECT $1::int AS n', [424242]));
    assert.equal(rows[0]?.n, 424242);
    await assert.rejects(inRequest(() => pool.query('SELEC broken')));
  }
  parent.end();

  const spans = exporter.getFinishedSpans().filter((s) => s.attributes['db.system.name']);
  const sqlite = spans.filter((s) => s.attributes['db.system.name'] === 'sqlite');
  assert.deepEqual(
    sqlite.map((s) => [s.name, s.attributes['db.query.text']]),
    [
      ['INSERT spans.sqlite', 'INSERT INTO notes (body) VALUES (?)'],
      ['SELECT spans.sqlite', 'SELECT body FROM notes'],
    ],
  );
  for (const span of spans) assert.equal(span.parentSpanContext?.spanId, parent.spanContext().spanId);
  if (url) {
    const pg = spans.filter((s) => s.attributes['db.system.name'] === 'postgresql');
    assert.deepEqual(
      pg.map((s) => [s.attributes['db.query.text'], s.status.code]),
      [
        ['SELECT $1::int AS n', 0],
        ['SELEC broken', 2],
      ],
    );
    // Values never reach the span: only the statement text.
    assert.ok(!JSON.stringify(pg.map((s) => s.attributes)).includes('424242'));
  }
});
