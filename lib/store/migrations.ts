/**
 * A versioned schema migration. Versions are applied in ascending order, each exactly once, inside a
 * transaction; the applied versions are recorded per store name so several stores can share one database.
 */
export interface Migration {
  version: number;
  /** What it does, recorded beside the version. */
  name: string;
  /** SQL statements, separated by semicolons. */
  sql: string;
}

export function checkMigrations(store: string, migrations: readonly Migration[]): void {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1)
      throw new Error(`${store}: migration ${i} has version ${m.version}, expected ${i + 1}`);
  });
}
