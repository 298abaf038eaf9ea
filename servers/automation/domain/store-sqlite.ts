import { migrateSqlite, openSqlite } from '../../../lib/store/sqlite.ts';
import type { Logger } from '../../../lib/log.ts';
import type { Migration } from '../../../lib/store/migrations.ts';
import type { Schedule, Workflow, WorkflowRun } from '../../../schemas/automation/tools.ts';
import type { AutomationStore, StoredWorkflow } from './store.ts';

const MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'workflows, schedules and runs',
    sql: `
      CREATE TABLE workflows (
        name TEXT PRIMARY KEY, definition TEXT NOT NULL, created_by TEXT NOT NULL,
        created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);
      CREATE TABLE schedules (
        workflow TEXT PRIMARY KEY REFERENCES workflows(name) ON DELETE CASCADE,
        every_seconds INTEGER NOT NULL, input TEXT NOT NULL, next_run_at INTEGER NOT NULL);
      CREATE TABLE runs (
        id TEXT PRIMARY KEY, workflow TEXT NOT NULL REFERENCES workflows(name) ON DELETE CASCADE,
        started_at INTEGER NOT NULL, record TEXT NOT NULL);
      CREATE INDEX runs_by_workflow ON runs (workflow, started_at DESC, id DESC);
      CREATE INDEX runs_by_time ON runs (started_at DESC, id DESC);`,
  },
];

interface WorkflowRow {
  definition: string;
  created_by: string;
  updated_at: number;
}
interface ScheduleRow {
  workflow: string;
  every_seconds: number;
  input: string;
  next_run_at: number;
}

const toStored = (row: WorkflowRow): StoredWorkflow => ({
  workflow: JSON.parse(row.definition) as Workflow,
  createdBy: row.created_by,
  updatedAt: row.updated_at,
});
const toSchedule = (row: ScheduleRow): Schedule => ({
  workflow: row.workflow,
  every_seconds: row.every_seconds,
  input: JSON.parse(row.input) as Schedule['input'],
  next_run_at: row.next_run_at,
});

export function openSqliteAutomationStore(path: string, log?: Logger): AutomationStore {
  const db = openSqlite({ path, log });
  migrateSqlite(db, 'automation', MIGRATIONS);
  const q = {
    exists: db.prepare<[string], { one: number }>('SELECT 1 AS one FROM workflows WHERE name = ?'),
    upsert:
      db.prepare(`INSERT INTO workflows (name, definition, created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT (name) DO UPDATE SET definition = excluded.definition, updated_at = excluded.updated_at`),
    get: db.prepare<[string], WorkflowRow>(
      'SELECT definition, created_by, updated_at FROM workflows WHERE name = ?',
    ),
    list: db.prepare<[], WorkflowRow>(
      'SELECT definition, created_by, updated_at FROM workflows ORDER BY name',
    ),
    delete: db.prepare('DELETE FROM workflows WHERE name = ?'),
    setSchedule:
      db.prepare(`INSERT INTO schedules (workflow, every_seconds, input, next_run_at) VALUES (?, ?, ?, ?)
      ON CONFLICT (workflow) DO UPDATE SET every_seconds = excluded.every_seconds, input = excluded.input,
      next_run_at = excluded.next_run_at`),
    clearSchedule: db.prepare('DELETE FROM schedules WHERE workflow = ?'),
    getSchedule: db.prepare<[string], ScheduleRow>('SELECT * FROM schedules WHERE workflow = ?'),
    listSchedules: db.prepare<[], ScheduleRow>('SELECT * FROM schedules ORDER BY workflow'),
    insertRun: db.prepare('INSERT INTO runs (id, workflow, started_at, record) VALUES (?, ?, ?, ?)'),
    pruneRuns: db.prepare(`DELETE FROM runs WHERE workflow = ? AND id NOT IN (
      SELECT id FROM runs WHERE workflow = ? ORDER BY started_at DESC, id DESC LIMIT ?)`),
    runsOf: db.prepare<[string, number], { record: string }>(
      'SELECT record FROM runs WHERE workflow = ? ORDER BY started_at DESC, id DESC LIMIT ?',
    ),
    runs: db.prepare<[number], { record: string }>(
      'SELECT record FROM runs ORDER BY started_at DESC, id DESC LIMIT ?',
    ),
  };
  const recordRun = db.transaction((run: WorkflowRun, keep: number) => {
    q.insertRun.run(run.id, run.workflow, run.started_at, JSON.stringify(run));
    q.pruneRuns.run(run.workflow, run.workflow, keep);
  });

  return {
    putWorkflow(workflow, by, now) {
      const existed = q.exists.get(workflow.name) !== undefined;
      q.upsert.run(workflow.name, JSON.stringify(workflow), by, now, now);
      return existed;
    },
    getWorkflow: (name) => {
      const row = q.get.get(name);
      return row ? toStored(row) : null;
    },
    listWorkflows: () => q.list.all().map(toStored),
    deleteWorkflow: (name) => q.delete.run(name).changes > 0,
    setSchedule: (s) =>
      void q.setSchedule.run(s.workflow, s.every_seconds, JSON.stringify(s.input), s.next_run_at),
    clearSchedule: (workflow) => q.clearSchedule.run(workflow).changes > 0,
    getSchedule: (workflow) => {
      const row = q.getSchedule.get(workflow);
      return row ? toSchedule(row) : null;
    },
    listSchedules: () => q.listSchedules.all().map(toSchedule),
    recordRun: (run, keep) => recordRun(run, keep),
    listRuns: (workflow, limit) =>
      (workflow ? q.runsOf.all(workflow, limit) : q.runs.all(limit)).map(
        (r) => JSON.parse(r.record) as WorkflowRun,
      ),
    close: () => db.close(),
  };
}
