import fs from 'node:fs';
import path from 'node:path';

/** `dir` and everything under it that other local users may read or enter, as "path mode" lines. */
export function openToOthers(dir: string): string[] {
  const paths = [dir];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    paths.push(path.join(entry.parentPath, entry.name));
  }
  return paths.flatMap((p) => {
    const mode = fs.lstatSync(p).mode & 0o777;
    return mode & 0o077 ? [`${p} ${mode.toString(8)}`] : [];
  });
}
