#!/usr/bin/env -S node --no-node-snapshot
// @ts-check
'use strict';
// The `plexus` command. Plain CommonJS, so that an old Node.js gets this far and says which version is
// needed; the CLI itself (TypeScript, which Node runs only from 22.18/23.6 on) is loaded only when it can run.
const { nodeVersionProblem } = require('./node-version.cjs');

const problem = nodeVersionProblem(process.versions.node);
if (problem) {
  console.error(problem);
  process.exitCode = 1;
} else {
  require('./compile-cache.cjs').useCompileCache();
  void import('./plexus.ts');
}
