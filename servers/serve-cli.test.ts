import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileAppears, tempDir } from '../test/helpers/fixtures.ts';
import { launch } from '../test/helpers/plexus-process.ts';
import { stillRunning } from '../test/helpers/processes.ts';

/** A child that writes its PID to `file`, then neither answers nor ends when its stdin closes. */
const MUTE_WITH_PID =
  "const fs = require('node:fs'); const [, file] = process.argv;" +
  " fs.writeFileSync(file + '.tmp', String(process.pid)); fs.renameSync(file + '.tmp', file);" +
  ' setInterval(() => {}, 1e9);';

test(
  'plexus serve automation stopped by SIGTERM while a tool server it starts never answers: no child is left',
  { timeout: 120_000 },
  async (t) => {
    const dir = tempDir(t);
    const pidFile = path.join(dir, 'mute.pid');
    fs.writeFileSync(
      path.join(dir, 'servers.json'),
      JSON.stringify({
        mcpServers: { mute: { command: process.execPath, args: ['-e', MUTE_WITH_PID, pidFile] } },
      }),
    );
    const serve = launch(
      ['serve', 'automation', '--stdio', '--data', path.join(dir, 'data'), '--servers', 'servers.json'],
      {},
      dir,
    );
    t.after(() => {
      if (serve.child.exitCode === null && serve.child.signalCode === null) serve.child.kill('SIGKILL');
    });
    await fileAppears(pidFile);
    const pid = Number(fs.readFileSync(pidFile, 'utf8'));
    assert.deepEqual(stillRunning([pid]), [pid]);

    serve.child.kill('SIGTERM');
    assert.equal(await serve.exited, 0);
    assert.deepEqual(stillRunning([pid]), [], 'the mute child is gone');
  },
);
