// @ts-check
'use strict';
// Node.js strips Plexus' TypeScript and compiles every module again at each start; its compile cache keeps
// the result, so a command or a server starts with about a third less CPU. The cache is per user (0700):
// code cached by someone else is never run. NODE_COMPILE_CACHE chooses another place,
// NODE_DISABLE_COMPILE_CACHE=1 turns it off.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { enableCompileCache } = require('node:module');

function compileCacheDir() {
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'plexus', 'node-compile-cache');
}

function useCompileCache() {
  if (process.env.NODE_COMPILE_CACHE) return; // already on, where the environment says
  const dir = compileCacheDir();
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch {
    return; // an unwritable home costs start-up time, nothing else
  }
  enableCompileCache(dir);
}

module.exports = { useCompileCache: useCompileCache, compileCacheDir: compileCacheDir };
