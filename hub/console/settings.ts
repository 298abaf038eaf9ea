import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { PlexusError } from '../../lib/errors.ts';
import { privateFile } from '../../lib/store/private-files.ts';
import { ExternalServerEntry, MountName, VirtualServerEntry, VirtualServerName } from '../config.ts';

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
const Revocation = z.strictObject({
  by: z.string(),
  at: z.int(),
  reason: z.string().max(200).optional(),
});

/**
 * What operators change in the console, kept in `<dataDir>/console.json` (owner-only) beside plexus.json,
 * which stays as its author wrote it: virtual servers, servers mounted by URL or command, what is switched
 * off, operator tokens refused.
 */
export const ConsoleSettingsFile = z.strictObject({
  virtualServers: z.record(VirtualServerName, VirtualServerEntry).default({}),
  mcpServers: z.record(MountName, ExternalServerEntry).default({}),
  disabledServers: z.array(MountName).default([]),
  disabledTools: z.array(z.string().max(64)).default([]),
  revoked: z.record(RevokedOperator, Revocation).default({}),
});
export type ConsoleSettingsFile = z.infer<typeof ConsoleSettingsFile>;

export class ConsoleSettings {
  readonly file: string;
  #data: ConsoleSettingsFile;
  /** Writes one at a time, in order. */
  #writing: Promise<void> = Promise.resolve();

  private constructor(file: string, data: ConsoleSettingsFile) {
    this.file = file;
    this.#data = data;
  }

  /** Reads the file (none yet: empty settings); a file that does not parse stops the hub rather than lose it. */
  static open(dataDir: string): ConsoleSettings {
    const file = path.join(dataDir, 'console.json');
    let raw: unknown = {};
    if (fs.existsSync(file)) {
      const text = fs.readFileSync(file, 'utf8');
      try {
        raw = text.trim() === '' ? {} : JSON.parse(text);
      } catch {
        throw new PlexusError('invalid', 'invalid_config', `${file}: not valid JSON; fix or remove it`);
      }
    }
    const parsed = ConsoleSettingsFile.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new PlexusError(
        'invalid',
        'invalid_config',
        `${file}: ${issue?.path.join('.') || '(root)'}: ${issue?.message}`,
      );
    }
    return new ConsoleSettings(file, parsed.data);
  }

  get data(): Readonly<ConsoleSettingsFile> {
    return this.#data;
  }

  /** Applies a change and writes the whole file atomically (a temporary file renamed over it). */
  update(change: (draft: ConsoleSettingsFile) => void): Promise<void> {
    const draft = structuredClone(this.#data);
    change(draft);
    const next = ConsoleSettingsFile.parse(draft);
    this.#data = next;
    const write = async () => {
      const temporary = `${this.file}.${process.pid}.tmp`;
      privateFile(temporary);
      await fs.promises.writeFile(temporary, `${JSON.stringify(next, null, 2)}\n`);
      await fs.promises.rename(temporary, this.file);
    };
    this.#writing = this.#writing.then(write, write);
    return this.#writing;
  }
}
