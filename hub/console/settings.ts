import { z } from 'zod';
import { PlexusError } from '../../lib/errors.ts';
import { ExternalServerEntry, MountName, VirtualServerEntry, VirtualServerName } from '../config.ts';
import { fileSettings } from './settings-file.ts';
import { pgSettings } from './settings-pg.ts';

/**
 * An operator token's subject, revoked at this hub. (A DID is revoked in the identity server, for the whole
 * network; an operator token has no identity log there.)
 */
export const RevokedOperator = z
  .string()
  .regex(
    /^operator:[a-zA-Z0-9._@-]{1,64}$/,
    'must be operator:<name> (DIDs are revoked in the identity server)',
  );

/** An operator token the operator revoked at this hub: who did it, when, why. */
export const Revocation = z.strictObject({
  by: z.string(),
  at: z.int(),
  reason: z.string().max(200).optional(),
});

/**
 * What operators change in the console, kept apart from plexus.json, which stays as its author wrote it:
 * virtual servers, servers mounted by URL or command, what is switched off, operator tokens refused.
 */
export const ConsoleSettingsFile = z.strictObject({
  virtualServers: z.record(VirtualServerName, VirtualServerEntry).default({}),
  mcpServers: z.record(MountName, ExternalServerEntry).default({}),
  disabledServers: z.array(MountName).default([]),
  disabledTools: z.array(z.string().max(64)).default([]),
  revoked: z.record(RevokedOperator, Revocation).default({}),
});
export type ConsoleSettingsFile = z.infer<typeof ConsoleSettingsFile>;
export type Revocation = z.infer<typeof Revocation>;

/** Where the settings are kept: `<dataDir>/console.json`, or PostgreSQL, shared by a scaled-out hub's replicas. */
export interface SettingsBackend {
  /** Named in errors: the file, or the table. */
  readonly where: string;
  /** The stored settings as written and their version; null when none are stored yet. */
  read(): Promise<{ raw: unknown; version: number } | null>;
  /** Stores `next` over `version` (0: none stored yet); false when another replica wrote first. */
  write(next: ConsoleSettingsFile, version: number): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * DIDs that settings written before network-wide revocation refused at this hub alone. They are taken out
 * before parsing (the schema no longer admits them) and handed to the hub, which revokes each in the identity
 * server and then stores the settings without them, so no refusal is lost on the way.
 */
function carriedDids(raw: unknown, where: string): { raw: unknown; dids: Record<string, Revocation> } {
  if (!isRecord(raw) || !isRecord(raw.revoked)) return { raw, dids: {} };
  const dids: Record<string, Revocation> = {};
  const kept: Record<string, unknown> = {};
  for (const [subject, entry] of Object.entries(raw.revoked)) {
    if (!subject.startsWith('did:')) {
      kept[subject] = entry;
      continue;
    }
    const parsed = Revocation.safeParse(entry);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new PlexusError(
        'invalid',
        'invalid_config',
        `${where}: revoked.${subject}${issue?.path.length ? `.${issue.path.join('.')}` : ''}: ${issue?.message}`,
      );
    }
    dids[subject] = parsed.data;
  }
  return { raw: { ...raw, revoked: kept }, dids };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseSettings(raw: unknown, where: string): ConsoleSettingsFile {
  const parsed = ConsoleSettingsFile.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new PlexusError(
    'invalid',
    'invalid_config',
    `${where}: ${issue?.path.join('.') || '(root)'}: ${issue?.message}`,
  );
}

/** Tries of one change against other replicas' writes before it gives up. */
const WRITE_TRIES = 5;

export class ConsoleSettings {
  readonly #backend: SettingsBackend;
  #data: ConsoleSettingsFile;
  #version: number;
  /** Changes one at a time, in order. */
  #writing: Promise<void> = Promise.resolve();

  /** DIDs refused at this hub by settings of before network-wide revocation; see `carriedDids`. */
  readonly carriedRevocations: Readonly<Record<string, Revocation>>;

  private constructor(
    backend: SettingsBackend,
    stored: { raw: unknown; version: number } | null,
    seededFrom?: ConsoleSettings,
  ) {
    const { raw, dids } = carriedDids(stored?.raw ?? {}, backend.where);
    this.#backend = backend;
    this.#data = parseSettings(raw, backend.where);
    this.#version = stored?.version ?? 0;
    this.carriedRevocations = { ...seededFrom?.carriedRevocations, ...dids };
  }

  /**
   * Opens the settings: on PostgreSQL when `databaseUrl` is set (a console.json of this hub's seeds them the
   * first time), else in `<dataDir>/console.json`. Settings that do not parse stop the hub rather than be lost.
   */
  static async open(options: {
    dataDir: string;
    databaseUrl?: string | undefined;
  }): Promise<ConsoleSettings> {
    const file = fileSettings(options.dataDir);
    if (!options.databaseUrl) {
      return new ConsoleSettings(file, await file.read());
    }
    const backend = await pgSettings(options.databaseUrl);
    try {
      const stored = await backend.read();
      if (stored) return new ConsoleSettings(backend, stored);
      // The first replica seeds the table from its console.json, and revokes the DIDs that file carries.
      const local = await file.read();
      if (!local) return new ConsoleSettings(backend, null);
      const seed = new ConsoleSettings(file, local);
      await backend.write(seed.data, 0);
      return new ConsoleSettings(backend, await backend.read(), seed);
    } catch (error) {
      await backend.close();
      throw error;
    }
  }

  get where(): string {
    return this.#backend.where;
  }

  get data(): Readonly<ConsoleSettingsFile> {
    return this.#data;
  }

  /**
   * Applies a change and stores the whole settings; when another replica wrote first, the change is applied
   * again to what it wrote. A change that breaks the schema is refused and nothing is stored.
   */
  update(change: (draft: ConsoleSettingsFile) => void): Promise<void> {
    const write = async () => {
      for (let attempt = 0; attempt < WRITE_TRIES; attempt++) {
        const draft = structuredClone(this.#data);
        change(draft);
        const next = ConsoleSettingsFile.parse(draft);
        if (await this.#backend.write(next, this.#version)) {
          this.#data = next;
          this.#version += 1;
          return;
        }
        await this.refresh();
      }
      throw new PlexusError('conflict', 'settings_busy', `${this.where} kept changing; try again`);
    };
    const done = this.#writing.then(write);
    this.#writing = done.catch(() => {});
    return done;
  }

  /** Reads what other replicas stored; true when the settings changed. */
  async refresh(): Promise<boolean> {
    const stored = await this.#backend.read();
    if (!stored || stored.version === this.#version) return false;
    this.#data = parseSettings(carriedDids(stored.raw, this.where).raw, this.where);
    this.#version = stored.version;
    return true;
  }

  close(): Promise<void> {
    return this.#backend.close();
  }
}
