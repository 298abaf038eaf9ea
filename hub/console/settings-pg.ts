import type { Migration } from '../../lib/store/migrations.ts';
import { pgSql } from '../../lib/store/sql.ts';
import type { ConsoleSettingsFile, SettingsBackend } from './settings.ts';

export const CONSOLE_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'console settings shared by the hub replicas',
    sql: `CREATE TABLE console_settings (
      id INTEGER PRIMARY KEY CHECK (id = 1), settings TEXT NOT NULL, version BIGINT NOT NULL)`,
  },
];

/**
 * The console's settings in one PostgreSQL row that every replica of a scaled-out hub reads: a write names
 * the version it changed, so two replicas writing at once cannot lose one another's change.
 */
export async function pgSettings(databaseUrl: string): Promise<SettingsBackend> {
  const sql = await pgSql(databaseUrl, 'console', CONSOLE_MIGRATIONS);
  return {
    where: 'PostgreSQL table console_settings',
    async read() {
      const row = await sql.get<{ settings: string; version: number | string }>(
        'SELECT settings, version FROM console_settings WHERE id = 1',
      );
      return row ? { raw: JSON.parse(row.settings) as unknown, version: Number(row.version) } : null;
    },
    async write(next: ConsoleSettingsFile, version: number) {
      const text = JSON.stringify(next);
      const changed =
        version === 0
          ? await sql.run(
              'INSERT INTO console_settings (id, settings, version) VALUES (1, ?, 1) ON CONFLICT (id) DO NOTHING',
              [text],
            )
          : await sql.run(
              'UPDATE console_settings SET settings = ?, version = ? WHERE id = 1 AND version = ?',
              [text, version + 1, version],
            );
      return changed === 1;
    },
    close: () => sql.close(),
  };
}
