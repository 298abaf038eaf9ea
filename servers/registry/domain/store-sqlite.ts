import { migrateSqlite, openSqlite, type Sqlite } from '../../../lib/store/sqlite.ts';
import type { Logger } from '../../../lib/log.ts';
import { REGISTRY_STORE, SQLITE_MIGRATIONS } from './migrations.ts';
import { ftsQuery } from './fts-query.ts';
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

// Capabilities ride along as one JSON array per agent so a page of agents is one query.
const AGENT_SELECT = `SELECT a.*, (SELECT json_group_array(c.capability) FROM registry_agent_capabilities c
  WHERE c.did = a.did) AS capabilities FROM registry_agents a`;

function placeholders(values: readonly unknown[]): string {
  return values.map(() => '?').join(', ');
}

export class SqliteRegistryStore implements RegistryStore {
  readonly #db: Sqlite;
  readonly #stmt;

  constructor(db: Sqlite) {
    this.#db = db;
    migrateSqlite(db, REGISTRY_STORE, SQLITE_MIGRATIONS);
    this.#stmt = {
      upsertAgent: db.prepare(`INSERT INTO registry_agents
          (did, name, role, card, status, load, active_tasks, last_heartbeat, registered_at, updated_at)
        VALUES (@did, @name, @role, @card, @status, @load, @active_tasks, @last_heartbeat, @registered_at, @updated_at)
        ON CONFLICT (did) DO UPDATE SET name = excluded.name, role = excluded.role, card = excluded.card,
          status = excluded.status, load = excluded.load, active_tasks = excluded.active_tasks,
          last_heartbeat = excluded.last_heartbeat, updated_at = excluded.updated_at`),
      clearCapabilities: db.prepare('DELETE FROM registry_agent_capabilities WHERE did = ?'),
      addCapability: db.prepare(
        'INSERT OR IGNORE INTO registry_agent_capabilities (capability, did) VALUES (?, ?)',
      ),
      getAgent: db.prepare(`${AGENT_SELECT} WHERE a.did = ?`),
      heartbeat: db.prepare(`UPDATE registry_agents SET status = @status, load = @load,
          active_tasks = @activeTasks, last_heartbeat = @at, updated_at = @at WHERE did = @did`),
      transition: db.prepare(
        'UPDATE registry_agents SET status = ?, updated_at = ? WHERE did = ? AND status = ?',
      ),
      deleteAgent: db.prepare('DELETE FROM registry_agents WHERE did = ?'),
      toolByAuthorName: db.prepare('SELECT * FROM registry_tools WHERE author = ? AND name = ?'),
      insertTool: db.prepare(`INSERT INTO registry_tools
          (id, kind, name, version, description, capabilities, author, entry, package_sha256, package_bytes,
           published_at, updated_at)
        VALUES (@id, @kind, @name, @version, @description, @capabilities, @author, @entry, @package_sha256,
          @package_bytes, @published_at, @updated_at)`),
      updateTool: db.prepare(`UPDATE registry_tools SET kind = @kind, version = @version,
          description = @description, capabilities = @capabilities, entry = @entry,
          package_sha256 = @package_sha256, package_bytes = @package_bytes, updated_at = @updated_at
        WHERE seq = @seq`),
      putPackage: db.prepare('INSERT OR IGNORE INTO registry_tool_packages (sha256, content) VALUES (?, ?)'),
      getPackage: db.prepare('SELECT content FROM registry_tool_packages WHERE sha256 = ?'),
      prunePackages: db.prepare(`DELETE FROM registry_tool_packages WHERE NOT EXISTS
          (SELECT 1 FROM registry_tools t WHERE t.package_sha256 = registry_tool_packages.sha256)`),
      clearToolCapabilities: db.prepare('DELETE FROM registry_tool_capabilities WHERE tool_seq = ?'),
      addToolCapability: db.prepare(
        'INSERT OR IGNORE INTO registry_tool_capabilities (capability, tool_seq) VALUES (?, ?)',
      ),
      getTool: db.prepare('SELECT * FROM registry_tools WHERE id = ?'),
      deleteTool: db.prepare('DELETE FROM registry_tools WHERE id = ?'),
      insertTask: db.prepare(
        `INSERT INTO registry_tasks (${TASK_COLUMNS.join(', ')}) VALUES (${TASK_COLUMNS.map((c) => `@${c}`).join(', ')})`,
      ),
      getTask: db.prepare('SELECT * FROM registry_tasks WHERE id = ?'),
      updateTask: db.prepare(`UPDATE registry_tasks SET assignee = @assignee, state = @state,
          assignees = @assignees, attempts = @attempts, deadline = @deadline, result = @result, error = @error,
          message = @message, history = @history, updated_at = @updated_at, version = version + 1
        WHERE id = @id AND version = @expected`),
      redispatch: db.prepare(`SELECT t.* FROM registry_tasks t
        LEFT JOIN registry_agents a ON a.did = t.assignee
        WHERE t.state IN (${placeholders(OPEN_STATES)})
          AND (t.deadline <= ? OR a.did IS NULL OR a.status = 'offline')
        ORDER BY t.deadline`),
      getKey: db.prepare('SELECT did, secret_key, created_at FROM registry_service_key WHERE id = 1'),
      insertKey: db.prepare(
        'INSERT OR IGNORE INTO registry_service_key (id, did, secret_key, created_at) VALUES (1, ?, ?, ?)',
      ),
    };
  }

  static open(path: string, log?: Logger): SqliteRegistryStore {
    return new SqliteRegistryStore(openSqlite({ path, log }));
  }

  async putAgent(agent: AgentRecord): Promise<AgentRecord> {
    const write = this.#db.transaction(() => {
      this.#stmt.upsertAgent.run(agentParams(agent));
      this.#stmt.clearCapabilities.run(agent.did);
      for (const capability of agent.capabilities) this.#stmt.addCapability.run(capability, agent.did);
    });
    write.immediate();
    const stored = await this.getAgent(agent.did);
    if (!stored) throw new Error(`agent ${agent.did} vanished after write`);
    return stored;
  }

  async getAgent(did: string): Promise<AgentRecord | null> {
    const row = this.#stmt.getAgent.get(did) as AgentRow | undefined;
    return row ? agentFromRow(row) : null;
  }

  async findAgents(query: AgentQuery): Promise<AgentRecord[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (query.capability !== undefined) {
      where.push('a.did IN (SELECT did FROM registry_agent_capabilities WHERE capability = ?)');
      params.push(query.capability);
    }
    if (query.role !== undefined) {
      where.push('a.role = ?');
      params.push(query.role);
    }
    if (query.name !== undefined) {
      where.push('instr(lower(a.name), lower(?)) > 0');
      params.push(query.name);
    }
    if (query.statuses !== undefined) {
      where.push(`a.status IN (${placeholders(query.statuses)})`);
      params.push(...query.statuses);
    }
    if (query.after !== undefined) {
      where.push('a.did > ?');
      params.push(query.after);
    }
    const sql = `${AGENT_SELECT} ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY a.did LIMIT ?`;
    const rows = this.#db.prepare(sql).all(...params, query.limit) as AgentRow[];
    return rows.map(agentFromRow);
  }

  async recordHeartbeat(
    did: string,
    beat: { status: AgentStatus; load: number; activeTasks: number; at: number },
  ): Promise<{ before: AgentStatus; after: AgentRecord } | null> {
    const run = this.#db.transaction(() => {
      const row = this.#stmt.getAgent.get(did) as AgentRow | undefined;
      if (!row) return null;
      this.#stmt.heartbeat.run({ did, ...beat });
      return row.status as AgentStatus;
    });
    const before = run.immediate();
    if (before === null) return null;
    const after = await this.getAgent(did);
    return after ? { before, after } : null;
  }

  async transitionAgent(did: string, from: AgentStatus, to: AgentStatus, at: number): Promise<boolean> {
    return this.#stmt.transition.run(to, at, did, from).changes === 1;
  }

  async agentsSilentSince(statuses: readonly AgentStatus[], before: number): Promise<AgentRecord[]> {
    const sql = `${AGENT_SELECT} WHERE a.status IN (${placeholders(statuses)}) AND a.last_heartbeat < ?
      ORDER BY a.last_heartbeat`;
    return (this.#db.prepare(sql).all(...statuses, before) as AgentRow[]).map(agentFromRow);
  }

  async deleteAgent(did: string): Promise<boolean> {
    return this.#stmt.deleteAgent.run(did).changes === 1;
  }

  async putTool(tool: ToolRecord, content?: Uint8Array): Promise<{ tool: ToolRecord; created: boolean }> {
    const write = this.#db.transaction(() => {
      if (content && tool.packageSha256) this.#stmt.putPackage.run(tool.packageSha256, content);
      const existing = this.#stmt.toolByAuthorName.get(tool.author, tool.name) as
        (ToolRow & { seq: number }) | undefined;
      const params = toolParams(tool);
      let seq: number;
      if (existing) {
        this.#stmt.updateTool.run({ ...params, seq: existing.seq });
        seq = existing.seq;
      } else {
        seq = Number(this.#stmt.insertTool.run(params).lastInsertRowid);
      }
      this.#stmt.clearToolCapabilities.run(seq);
      for (const capability of tool.capabilities) this.#stmt.addToolCapability.run(capability, seq);
      this.#stmt.prunePackages.run();
      return { id: existing?.id ?? tool.id, created: !existing };
    });
    const { id, created } = write.immediate();
    const stored = await this.getTool(id);
    if (!stored) throw new Error(`tool ${id} vanished after write`);
    return { tool: stored, created };
  }

  async getTool(id: string): Promise<ToolRecord | null> {
    const row = this.#stmt.getTool.get(id) as ToolRow | undefined;
    return row ? toolFromRow(row) : null;
  }

  async findTools(query: ToolQuery): Promise<{ tools: ToolRecord[]; total: number }> {
    const where: string[] = [];
    const params: unknown[] = [];
    const match = query.text === undefined ? null : ftsQuery(query.text);
    let from = 'registry_tools t';
    let order = 't.name, t.author';
    if (match !== null) {
      from = 'registry_tools_fts f JOIN registry_tools t ON t.seq = f.rowid';
      where.push('registry_tools_fts MATCH ?');
      params.push(match);
      // Name hits weigh most, then capabilities, then description.
      order = 'bm25(registry_tools_fts, 10.0, 1.0, 5.0), t.name';
    }
    if (query.capability !== undefined) {
      where.push('t.seq IN (SELECT tool_seq FROM registry_tool_capabilities WHERE capability = ?)');
      params.push(query.capability);
    }
    if (query.name !== undefined) {
      where.push('t.name = ?');
      params.push(query.name);
    }
    if (query.kind !== undefined) {
      where.push('t.kind = ?');
      params.push(query.kind);
    }
    if (query.author !== undefined) {
      where.push('t.author = ?');
      params.push(query.author);
    }
    const filter = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const total = (
      this.#db.prepare(`SELECT count(*) AS n FROM ${from} ${filter}`).get(...params) as { n: number }
    ).n;
    const rows = this.#db
      .prepare(`SELECT t.* FROM ${from} ${filter} ORDER BY ${order} LIMIT ? OFFSET ?`)
      .all(...params, query.limit, query.offset) as ToolRow[];
    return { tools: rows.map(toolFromRow), total };
  }

  async deleteTool(id: string): Promise<boolean> {
    const remove = this.#db.transaction(() => {
      const deleted = this.#stmt.deleteTool.run(id).changes === 1;
      this.#stmt.prunePackages.run();
      return deleted;
    });
    return remove.immediate();
  }

  async getPackage(sha256: string): Promise<Uint8Array | null> {
    const row = this.#stmt.getPackage.get(sha256) as { content: Buffer } | undefined;
    return row ? new Uint8Array(row.content) : null;
  }

  async insertTask(task: TaskRecord): Promise<void> {
    this.#stmt.insertTask.run(taskParams(task));
  }

  async getTask(id: string): Promise<TaskRecord | null> {
    const row = this.#stmt.getTask.get(id) as TaskRow | undefined;
    return row ? taskFromRow(row) : null;
  }

  async listTasks(query: TaskQuery): Promise<TaskRecord[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    for (const [column, value] of [
      ['requester', query.requester],
      ['assignee', query.assignee],
      ['capability', query.capability],
    ] as const) {
      if (value === undefined) continue;
      where.push(`${column} = ?`);
      params.push(value);
    }
    if (query.states !== undefined) {
      where.push(`state IN (${placeholders(query.states)})`);
      params.push(...query.states);
    }
    if (query.before !== undefined) {
      where.push('(created_at < ? OR (created_at = ? AND id < ?))');
      params.push(query.before.createdAt, query.before.createdAt, query.before.id);
    }
    const sql = `SELECT * FROM registry_tasks ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY created_at DESC, id DESC LIMIT ?`;
    return (this.#db.prepare(sql).all(...params, query.limit) as TaskRow[]).map(taskFromRow);
  }

  async updateTask(id: string, version: number, patch: TaskPatch): Promise<TaskRecord | null> {
    const run = this.#db.transaction(() => {
      const row = this.#stmt.getTask.get(id) as TaskRow | undefined;
      if (!row || row.version !== version) return null;
      const next = { ...taskFromRow(row), ...patch };
      const changed = this.#stmt.updateTask.run({ ...taskParams(next), expected: version }).changes;
      return changed === 1 ? id : null;
    });
    const updated = run.immediate();
    return updated === null ? null : this.getTask(updated);
  }

  async taskCounts(): Promise<TaskCount[]> {
    const rows = this.#db
      .prepare(
        `SELECT state, COUNT(*) AS tasks, SUM(attempts > 1) AS redispatched
         FROM registry_tasks GROUP BY state ORDER BY state`,
      )
      .all() as { state: TaskState; tasks: number; redispatched: number }[];
    return rows.map((r) => ({ state: r.state, tasks: r.tasks, redispatched: r.redispatched }));
  }

  async tasksNeedingRedispatch(now: number): Promise<TaskRecord[]> {
    return (this.#stmt.redispatch.all(...OPEN_STATES, now) as TaskRow[]).map(taskFromRow);
  }

  async ensureServiceKey(candidate: ServiceKey): Promise<ServiceKey> {
    this.#stmt.insertKey.run(candidate.did, Buffer.from(candidate.secretKey), candidate.createdAt);
    const row = this.#stmt.getKey.get() as { did: string; secret_key: Buffer; created_at: number };
    return { did: row.did, secretKey: new Uint8Array(row.secret_key), createdAt: row.created_at };
  }

  async close(): Promise<void> {
    if (this.#db.open) this.#db.close();
  }
}
