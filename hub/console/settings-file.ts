import fs from 'node:fs';
import path from 'node:path';
import { PlexusError } from '../../lib/errors.ts';
import { privateFile } from '../../lib/store/private-files.ts';
import type { ConsoleSettingsFile, SettingsBackend } from './settings.ts';

/**
 * `<dataDir>/console.json`: owner-only, rewritten whole and atomically (a temporary file renamed over it).
 * One hub writes it, so a write never meets another's; the version counts this hub's writes.
 */
export function fileSettings(dataDir: string): SettingsBackend {
  const file = path.join(dataDir, 'console.json');
  let version = 0;
  return {
    where: file,
    async read() {
      if (!fs.existsSync(file)) return null;
      const text = await fs.promises.readFile(file, 'utf8');
      try {
        return { raw: text.trim() === '' ? {} : (JSON.parse(text) as unknown), version };
      } catch {
        throw new PlexusError('invalid', 'invalid_config', `${file}: not valid JSON; fix or remove it`);
      }
    },
    async write(next: ConsoleSettingsFile) {
      const temporary = `${file}.${process.pid}.tmp`;
      privateFile(temporary);
      await fs.promises.writeFile(temporary, `${JSON.stringify(next, null, 2)}\n`);
      await fs.promises.rename(temporary, file);
      version += 1;
      return true;
    },
    close: () => Promise.resolve(),
  };
}
