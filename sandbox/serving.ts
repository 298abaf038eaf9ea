// `sandbox/serving.json` in a sandbox's data dir: what the running sandbox serves, for whoever installs into
// its tools folder to see when a package is served (the folder is reloaded a moment after it changes).
import fs from 'node:fs';
import path from 'node:path';
import { processRuns } from '../lib/pid.ts';
import { SandboxServing } from '../schemas/sandbox/tool-package.ts';
import type { ToolRegistry } from './tool-registry.ts';

export function servingFile(dataDir: string): string {
  return path.join(dataDir, 'sandbox', 'serving.json');
}

/** Writes what `registry` serves now, whole or not at all (a reader never sees half a file). */
export function writeServing(file: string, registry: ToolRegistry): void {
  const serving: SandboxServing = {
    pid: process.pid,
    tools: [...registry.tools().values()].map(({ manifest }) => ({
      name: manifest.name,
      version: manifest.version,
      author: manifest.author,
      entrySha256: manifest.entrySha256,
    })),
    failures: [...registry.failures()],
  };
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, JSON.stringify(serving, null, 2) + '\n', { mode: 0o600 });
  fs.renameSync(temporary, file);
}

/** What the sandbox whose data dir holds `file` serves, or null when none runs there. */
export function readServing(file: string): SandboxServing | null {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
  const parsed = SandboxServing.safeParse(raw);
  return parsed.success && processRuns(parsed.data.pid) ? parsed.data : null;
}
