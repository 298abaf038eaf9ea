import type pg from 'pg';
import { migratePg, openPg, type PgPool } from '../../../lib/store/pg.ts';
import { tsQuery } from './fts-query.ts';
import { PG_MIGRATIONS, REGISTRY_STORE } from './migrations.ts';
import {
  OPEN_STATES,
  TASK_COLUMNS,
  agentFromRow,
  agentParams,
  taskFromRow,
  taskParams,
  toolFromRow,
  toolParams,
  type AgentRow,
  type TaskRow,
  type ToolRow,
} from './rows.ts';
import type {
  AgentQuery,
  AgentRecord,
  AgentStatus,
  RegistryStore,
  ServiceKey,
  TaskCount,
  TaskPatch,
  TaskQuery,
  TaskRecord,
  ToolQuery,
  ToolRecord,
} from './store.ts';
import type { TaskState } from '../../../schemas/task.ts';

const AGENT_SELECT = `SELECT a.*, (SELECT json_agg(c.capability) FROM registry_agent_capabilities c
  WHERE c.did = a.did) AS capabilities FROM registry_agents a`;

const AGENT_COLUMNS = [
  'did',
  'name',
  'role',
  'card',
  'status',
  'load',
  'active_tasks',
  'last_heartbeat',
  'registered_at',
  'updated_at',
] as const;
const TOOL_COLUMNS = [
  'id',
  'kind',
  'name',
  'version',
  'description',
  'capabilities',
  'author',
  'entry',
  'package_sha256',
  'package_bytes',
  'published_at',
  'updated_at',
] as const;

const PRUNE_PACKAGES = `DELETE FROM registry_tool_packages p WHERE NOT EXISTS
  (SELECT 1 FROM registry_tools t WHERE t.package_sha256 = p.sha256)`;

/** `$1, $2, …` for `count` parameters starting after `offset`. */
function params(count: number, offset = 0): string {
  return Array.from({ length: count }, (_, i) => `$${offset + i + 1}`).join(', ');
}

function values(row: Record<string, unknown>, columns: readonly string[]): unknown[] {
  return columns.map((c) => row[c]);
}

/** Filters as SQL with numbered parameters. */
class Where {
  readonly clauses: string[] = [];
  readonly params: unknown[] = [];

  add(sql: (next: () => string) => string, ...values: unknown[]): void {
    let i = 0;
    this.clauses.push(sql(() => `$${this.params.length + ++i}`));
    this.params.push(...values);
  }

  get sql(): string {
    return this.clauses.length ? `WHERE ${this.clauses.join(' AND ')}` : '';
  }

  next(): string {
    return `$${this.params.length + 1}`;
  }
}

/** The registry on PostgreSQL (scaled out): the same contract as the SQLite store. */
export class PgRegistryStore implements RegistryStore {
  readonly #pool: PgPool;
  #closed = false;

  private constructor(pool: PgPool) {
    this.#pool = pool;
  }

  static async open(url: string): Promise<PgRegistryStore> {
    const pool = openPg(url);
    try {
      await migratePg(pool, REGISTRY_STORE, PG_MIGRATIONS);
    } catch (error) {
      await pool.end();
      throw error;
    }
    return new PgRegistryStore(pool);
  }

  async #transaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.#pool.connect();
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  async putAgent(agent: AgentRecord): Promise<AgentRecord> {
    await this.#transaction(async (client) => {
      await client.query(
        `INSERT INTO registry_agents (${AGENT_COLUMNS.join(', ')}) VALUES (${params(AGENT_COLUMNS.length)})
         ON CONFLICT (did) DO UPDATE SET name = excluded.name, role = excluded.role, card = excluded.card,
           status = excluded.status, load = excluded.load, active_tasks = excluded.active_tasks,
           last_heartbeat = excluded.last_heartbeat, updated_at = excluded.updated_at`,
        values(agentParams(agent), AGENT_COLUMNS),
      );
      await client.query('DELETE FROM registry_agent_capabilities WHERE did = $1', [agent.did]);
      if (agent.capabilities.length) {
        await client.query(
          `INSERT INTO registry_agent_capabilities (capability, did)
           SELECT DISTINCT unnest($1::text[]), $2 ON CONFLICT DO NOTHING`,
          [agent.capabilities, agent.did],
        );
      }
    });
    const stored = await this.getAgent(agent.did);
    if (!stored) throw new Error(`agent ${agent.did} vanished after write`);
    return stored;
  }

  async getAgent(did: string): Promise<AgentRecord | null> {
    const { rows } = await this.#pool.query<AgentRow>(`${AGENT_SELECT} WHERE a.did = $1`, [did]);
    return rows[0] ? agentFromRow(rows[0]) : null;
  }

  async findAgents(query: AgentQuery): Promise<AgentRecord[]> {
    const where = new Where();
    if (query.capability !== undefined) {
      where.add(
        (p) => `a.did IN (SELECT did FROM registry_agent_capabilities WHERE capability = ${p()})`,
        query.capability,
      );
    }
    if (query.role !== undefined) where.add((p) => `a.role = ${p()}`, query.role);
    if (query.name !== undefined) where.add((p) => `strpos(lower(a.name), lower(${p()})) > 0`, query.name);
    if (query.statuses !== undefined) where.add((p) => `a.status = ANY(${p()}::text[])`, [...query.statuses]);
    if (query.after !== undefined) where.add((p) => `a.did > ${p()}`, query.after);
    const { rows } = await this.#pool.query<AgentRow>(
      `${AGENT_SELECT} ${where.sql} ORDER BY a.did LIMIT ${where.next()}`,
      [...where.params, query.limit],
    );
    return rows.map(agentFromRow);
  }

  async recordHeartbeat(
    did: string,
    beat: { status: AgentStatus; load: number; activeTasks: number; at: number },
  ): Promise<{ before: AgentStatus; after: AgentRecord } | null> {
    const { rows } = await this.#pool.query<{ before: AgentStatus }>(
      `WITH old AS (SELECT status FROM registry_agents WHERE did = $1 FOR UPDATE)
       UPDATE registry_agents a SET status = $2, load = $3, active_tasks = $4, last_heartbeat = $5,
         updated_at = $5
       FROM old WHERE a.did = $1 RETURNING old.status AS before`,
      [did, beat.status, beat.load, beat.activeTasks, beat.at],
    );
    const before = rows[0]?.before;
    if (before === undefined) return null;
    const after = await this.getAgent(did);
    return after ? { before, after } : null;
  }

  async transitionAgent(did: string, from: AgentStatus, to: AgentStatus, at: number): Promise<boolean> {
    const { rowCount } = await this.#pool.query(
      'UPDATE registry_agents SET status = $1, updated_at = $2 WHERE did = $3 AND status = $4',
      [to, at, did, from],
    );
    return rowCount === 1;
  }

  async agentsSilentSince(statuses: readonly AgentStatus[], before: number): Promise<AgentRecord[]> {
    const { rows } = await this.#pool.query<AgentRow>(
      `${AGENT_SELECT} WHERE a.status = ANY($1::text[]) AND a.last_heartbeat < $2 ORDER BY a.last_heartbeat`,
      [[...statuses], before],
    );
    return rows.map(agentFromRow);
  }

  async deleteAgent(did: string): Promise<boolean> {
    const { rowCount } = await this.#pool.query('DELETE FROM registry_agents WHERE did = $1', [did]);
    return rowCount === 1;
  }

  async putTool(tool: ToolRecord, content?: Uint8Array): Promise<{ tool: ToolRecord; created: boolean }> {
    const { id, created } = await this.#transaction(async (client) => {
      if (content && tool.packageSha256) {
        await client.query(
          'INSERT INTO registry_tool_packages (sha256, content) VALUES ($1, $2) ON CONFLICT DO NOTHING',
          [tool.packageSha256, Buffer.from(content)],
        );
      }
      // xmax = 0 only on a freshly inserted row: tells an insert from an update in one statement.
      const { rows } = await client.query<{ id: string; created: boolean }>(
        `INSERT INTO registry_tools (${TOOL_COLUMNS.join(', ')}) VALUES (${params(TOOL_COLUMNS.length)})
         ON CONFLICT (author, name) DO UPDATE SET kind = excluded.kind, version = excluded.version,
           description = excluded.description, capabilities = excluded.capabilities, entry = excluded.entry,
           package_sha256 = excluded.package_sha256, package_bytes = excluded.package_bytes,
           updated_at = excluded.updated_at
         RETURNING id, (xmax = 0) AS created`,
        values(toolParams(tool), TOOL_COLUMNS),
      );
      const row = rows[0];
      if (!row) throw new Error('tool upsert returned nothing');
      await client.query('DELETE FROM registry_tool_capabilities WHERE tool_id = $1', [row.id]);
      if (tool.capabilities.length) {
        await client.query(
          `INSERT INTO registry_tool_capabilities (capability, tool_id)
           SELECT DISTINCT unnest($1::text[]), $2 ON CONFLICT DO NOTHING`,
          [tool.capabilities, row.id],
        );
      }
      await client.query(PRUNE_PACKAGES);
      return row;
    });
    const stored = await this.getTool(id);
    if (!stored) throw new Error(`tool ${id} vanished after write`);
    return { tool: stored, created };
  }

  async getTool(id: string): Promise<ToolRecord | null> {
    const { rows } = await this.#pool.query<ToolRow>('SELECT * FROM registry_tools WHERE id = $1', [id]);
    return rows[0] ? toolFromRow(rows[0]) : null;
  }

  async findTools(query: ToolQuery): Promise<{ tools: ToolRecord[]; total: number }> {
    const where = new Where();
    const match = query.text === undefined ? null : tsQuery(query.text);
    let order = 't.name, t.author';
    if (match !== null) {
      // The text match is the first filter, so it is $1 for the ranking too.
      where.add((p) => `t.search @@ to_tsquery('simple', ${p()})`, match);
      order = `ts_rank(t.search, to_tsquery('simple', $1)) DESC, t.name, t.author`;
    }
    if (query.capability !== undefined) {
      where.add(
        (p) => `t.id IN (SELECT tool_id FROM registry_tool_capabilities WHERE capability = ${p()})`,
        query.capability,
      );
    }
    if (query.name !== undefined) where.add((p) => `t.name = ${p()}`, query.name);
    if (query.kind !== undefined) where.add((p) => `t.kind = ${p()}`, query.kind);
    if (query.author !== undefined) where.add((p) => `t.author = ${p()}`, query.author);
    const total = await this.#pool.query<{ n: string }>(
      `SELECT count(*) AS n FROM registry_tools t ${where.sql}`,
      where.params,
    );
    const n = where.params.length;
    const { rows } = await this.#pool.query<ToolRow>(
      `SELECT t.* FROM registry_tools t ${where.sql} ORDER BY ${order} LIMIT $${n + 1} OFFSET $${n + 2}`,
      [...where.params, query.limit, query.offset],
    );
    return { tools: rows.map(toolFromRow), total: Number(total.rows[0]?.n ?? 0) };
  }

  async deleteTool(id: string): Promise<boolean> {
    return this.#transaction(async (client) => {
      const { rowCount } = await client.query('DELETE FROM registry_tools WHERE id = $1', [id]);
      await client.query(PRUNE_PACKAGES);
      return rowCount === 1;
    });
  }

  async getPackage(sha256: string): Promise<Uint8Array | null> {
    const { rows } = await this.#pool.query<{ content: Buffer }>(
      'SELECT content FROM registry_tool_packages WHERE sha256 = $1',
      [sha256],
    );
    return rows[0] ? new Uint8Array(rows[0].content) : null;
  }

  async insertTask(task: TaskRecord): Promise<void> {
    await this.#pool.query(
      `INSERT INTO registry_tasks (${TASK_COLUMNS.join(', ')}) VALUES (${params(TASK_COLUMNS.length)})`,
      values(taskParams(task), TASK_COLUMNS),
    );
  }

  async getTask(id: string): Promise<TaskRecord | null> {
    const { rows } = await this.#pool.query<TaskRow>('SELECT * FROM registry_tasks WHERE id = $1', [id]);
    return rows[0] ? taskFromRow(rows[0]) : null;
  }

  async listTasks(query: TaskQuery): Promise<TaskRecord[]> {
    const where = new Where();
    if (query.requester !== undefined) where.add((p) => `requester = ${p()}`, query.requester);
    if (query.assignee !== undefined) where.add((p) => `assignee = ${p()}`, query.assignee);
    if (query.capability !== undefined) where.add((p) => `capability = ${p()}`, query.capability);
    if (query.states !== undefined) where.add((p) => `state = ANY(${p()}::text[])`, [...query.states]);
    if (query.before !== undefined) {
      where.add((p) => `(created_at, id) < (${p()}, ${p()})`, query.before.createdAt, query.before.id);
    }
    const { rows } = await this.#pool.query<TaskRow>(
      `SELECT * FROM registry_tasks ${where.sql} ORDER BY created_at DESC, id DESC LIMIT ${where.next()}`,
      [...where.params, query.limit],
    );
    return rows.map(taskFromRow);
  }

  async updateTask(id: string, version: number, patch: TaskPatch): Promise<TaskRecord | null> {
    const current = await this.getTask(id);
    if (!current || current.version !== version) return null;
    const next = taskParams({ ...current, ...patch });
    const columns = TASK_COLUMNS.filter((c) => c !== 'id' && c !== 'version');
    const { rows } = await this.#pool.query<TaskRow>(
      `UPDATE registry_tasks SET ${columns.map((c, i) => `${c} = $${i + 1}`).join(', ')},
         version = version + 1
       WHERE id = $${columns.length + 1} AND version = $${columns.length + 2} RETURNING *`,
      [...values(next, columns), id, version],
    );
    return rows[0] ? taskFromRow(rows[0]) : null;
  }

  async taskCounts(): Promise<TaskCount[]> {
    const { rows } = await this.#pool.query<{ state: TaskState; tasks: number; redispatched: number }>(
      `SELECT state, COUNT(*)::int AS tasks, (COUNT(*) FILTER (WHERE attempts > 1))::int AS redispatched
       FROM registry_tasks GROUP BY state ORDER BY state`,
    );
    return rows;
  }

  async tasksNeedingRedispatch(now: number): Promise<TaskRecord[]> {
    const { rows } = await this.#pool.query<TaskRow>(
      `SELECT t.* FROM registry_tasks t LEFT JOIN registry_agents a ON a.did = t.assignee
       WHERE t.state = ANY($1::text[]) AND (t.deadline <= $2 OR a.did IS NULL OR a.status = 'offline')
       ORDER BY t.deadline`,
      [[...OPEN_STATES], now],
    );
    return rows.map(taskFromRow);
  }

  async ensureServiceKey(candidate: ServiceKey): Promise<ServiceKey> {
    await this.#pool.query(
      `INSERT INTO registry_service_key (id, did, secret_key, created_at) VALUES (1, $1, $2, $3)
       ON CONFLICT (id) DO NOTHING`,
      [candidate.did, Buffer.from(candidate.secretKey), candidate.createdAt],
    );
    const { rows } = await this.#pool.query<{ did: string; secret_key: Buffer; created_at: string }>(
      'SELECT did, secret_key, created_at FROM registry_service_key WHERE id = 1',
    );
    const row = rows[0];
    if (!row) throw new Error('service key vanished after write');
    return { did: row.did, secretKey: new Uint8Array(row.secret_key), createdAt: Number(row.created_at) };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#pool.end();
  }
}
