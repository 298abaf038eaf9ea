import type { Migration } from '../../../lib/store/migrations.ts';

export const REGISTRY_STORE = 'registry';

// SQLite dialect. The PostgreSQL store keeps its own list with the same versions and names.
export const SQLITE_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'agents, tools with full-text search, tasks, service key',
    sql: `
      CREATE TABLE registry_agents (
        did TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        role TEXT NOT NULL,
        card TEXT NOT NULL,
        status TEXT NOT NULL,
        load REAL NOT NULL,
        active_tasks INTEGER NOT NULL,
        last_heartbeat INTEGER NOT NULL,
        registered_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      );
      CREATE INDEX registry_agents_liveness ON registry_agents (status, last_heartbeat);
      CREATE INDEX registry_agents_role ON registry_agents (role);
      CREATE TABLE registry_agent_capabilities (
        capability TEXT NOT NULL,
        did TEXT NOT NULL REFERENCES registry_agents (did) ON DELETE CASCADE,
        PRIMARY KEY (capability, did)
      );
      CREATE INDEX registry_agent_capabilities_did ON registry_agent_capabilities (did);

      CREATE TABLE registry_tools (
        seq INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL,
        name TEXT NOT NULL,
        version TEXT NOT NULL,
        description TEXT NOT NULL,
        capabilities TEXT NOT NULL,
        author TEXT NOT NULL,
        entry TEXT NOT NULL,
        published_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        UNIQUE (author, name)
      );
      CREATE TABLE registry_tool_capabilities (
        capability TEXT NOT NULL,
        tool_seq INTEGER NOT NULL REFERENCES registry_tools (seq) ON DELETE CASCADE,
        PRIMARY KEY (capability, tool_seq)
      );
      CREATE INDEX registry_tool_capabilities_tool ON registry_tool_capabilities (tool_seq);
      CREATE VIRTUAL TABLE registry_tools_fts USING fts5 (
        name, description, capabilities, content = 'registry_tools', content_rowid = 'seq',
        tokenize = 'unicode61 remove_diacritics 2'
      );
      CREATE TRIGGER registry_tools_ai AFTER INSERT ON registry_tools BEGIN
        INSERT INTO registry_tools_fts (rowid, name, description, capabilities)
        VALUES (new.seq, new.name, new.description, new.capabilities);
      END;
      CREATE TRIGGER registry_tools_ad AFTER DELETE ON registry_tools BEGIN
        INSERT INTO registry_tools_fts (registry_tools_fts, rowid, name, description, capabilities)
        VALUES ('delete', old.seq, old.name, old.description, old.capabilities);
      END;
      CREATE TRIGGER registry_tools_au AFTER UPDATE ON registry_tools BEGIN
        INSERT INTO registry_tools_fts (registry_tools_fts, rowid, name, description, capabilities)
        VALUES ('delete', old.seq, old.name, old.description, old.capabilities);
        INSERT INTO registry_tools_fts (rowid, name, description, capabilities)
        VALUES (new.seq, new.name, new.description, new.capabilities);
      END;

      CREATE TABLE registry_tasks (
        id TEXT PRIMARY KEY,
        capability TEXT NOT NULL,
        input TEXT NOT NULL,
        requester TEXT NOT NULL,
        assignee TEXT,
        state TEXT NOT NULL,
        preferred_agents TEXT NOT NULL,
        assignees TEXT NOT NULL,
        attempts INTEGER NOT NULL,
        max_attempts INTEGER NOT NULL,
        attempt_timeout_ms INTEGER,
        deadline INTEGER,
        result TEXT,
        error TEXT,
        message TEXT,
        history TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        version INTEGER NOT NULL
      );
      CREATE INDEX registry_tasks_requester ON registry_tasks (requester, created_at, id);
      CREATE INDEX registry_tasks_assignee ON registry_tasks (assignee, state);
      CREATE INDEX registry_tasks_open ON registry_tasks (state, deadline);
      CREATE INDEX registry_tasks_created ON registry_tasks (created_at, id);

      CREATE TABLE registry_service_key (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        did TEXT NOT NULL,
        secret_key BLOB NOT NULL,
        created_at INTEGER NOT NULL
      );
    `,
  },
  {
    version: 2,
    name: 'sandboxed tool packages, content-addressed',
    sql: `
      ALTER TABLE registry_tools ADD COLUMN package_sha256 TEXT;
      ALTER TABLE registry_tools ADD COLUMN package_bytes INTEGER;
      CREATE TABLE registry_tool_packages (
        sha256 TEXT PRIMARY KEY,
        content BLOB NOT NULL
      );
    `,
  },
];

// PostgreSQL dialect: DIDs sort bytewise (COLLATE "C") as in SQLite, so keyset paging agrees across stores.
export const PG_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'agents, tools with full-text search, tasks, service key',
    sql: `
      CREATE TABLE registry_agents (
        did TEXT COLLATE "C" PRIMARY KEY,
        name TEXT NOT NULL,
        role TEXT NOT NULL,
        card TEXT NOT NULL,
        status TEXT NOT NULL,
        load DOUBLE PRECISION NOT NULL,
        active_tasks INTEGER NOT NULL,
        last_heartbeat BIGINT NOT NULL,
        registered_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL
      );
      CREATE INDEX registry_agents_liveness ON registry_agents (status, last_heartbeat);
      CREATE INDEX registry_agents_role ON registry_agents (role);
      CREATE TABLE registry_agent_capabilities (
        capability TEXT NOT NULL,
        did TEXT COLLATE "C" NOT NULL REFERENCES registry_agents (did) ON DELETE CASCADE,
        PRIMARY KEY (capability, did)
      );
      CREATE INDEX registry_agent_capabilities_did ON registry_agent_capabilities (did);

      CREATE TABLE registry_tools (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        name TEXT COLLATE "C" NOT NULL,
        version TEXT NOT NULL,
        description TEXT NOT NULL,
        capabilities TEXT NOT NULL,
        author TEXT COLLATE "C" NOT NULL,
        entry TEXT NOT NULL,
        published_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL,
        search TSVECTOR GENERATED ALWAYS AS (
          setweight(to_tsvector('simple', name), 'A') ||
          setweight(to_tsvector('simple', capabilities), 'B') ||
          setweight(to_tsvector('simple', description), 'C')
        ) STORED,
        UNIQUE (author, name)
      );
      CREATE INDEX registry_tools_search ON registry_tools USING GIN (search);
      CREATE TABLE registry_tool_capabilities (
        capability TEXT NOT NULL,
        tool_id TEXT NOT NULL REFERENCES registry_tools (id) ON DELETE CASCADE,
        PRIMARY KEY (capability, tool_id)
      );
      CREATE INDEX registry_tool_capabilities_tool ON registry_tool_capabilities (tool_id);

      CREATE TABLE registry_tasks (
        id TEXT COLLATE "C" PRIMARY KEY,
        capability TEXT NOT NULL,
        input TEXT NOT NULL,
        requester TEXT NOT NULL,
        assignee TEXT,
        state TEXT NOT NULL,
        preferred_agents TEXT NOT NULL,
        assignees TEXT NOT NULL,
        attempts INTEGER NOT NULL,
        max_attempts INTEGER NOT NULL,
        attempt_timeout_ms BIGINT,
        deadline BIGINT,
        result TEXT,
        error TEXT,
        message TEXT,
        history TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL,
        version INTEGER NOT NULL
      );
      CREATE INDEX registry_tasks_requester ON registry_tasks (requester, created_at, id);
      CREATE INDEX registry_tasks_assignee ON registry_tasks (assignee, state);
      CREATE INDEX registry_tasks_open ON registry_tasks (state, deadline);
      CREATE INDEX registry_tasks_created ON registry_tasks (created_at, id);

      CREATE TABLE registry_service_key (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        did TEXT NOT NULL,
        secret_key BYTEA NOT NULL,
        created_at BIGINT NOT NULL
      );
    `,
  },
  {
    version: 2,
    name: 'sandboxed tool packages, content-addressed',
    sql: `
      ALTER TABLE registry_tools ADD COLUMN package_sha256 TEXT;
      ALTER TABLE registry_tools ADD COLUMN package_bytes INTEGER;
      CREATE TABLE registry_tool_packages (
        sha256 TEXT PRIMARY KEY,
        content BYTEA NOT NULL
      );
    `,
  },
];
