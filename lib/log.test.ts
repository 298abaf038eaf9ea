import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { stderrLogFormat } from './log.ts';

test('logs are readable lines on a terminal and JSON lines elsewhere; PLEXUS_LOG_FORMAT decides when set', () => {
  assert.equal(stderrLogFormat({}, true), 'pretty');
  assert.equal(stderrLogFormat({}, false), 'json');
  assert.equal(stderrLogFormat({ PLEXUS_LOG_FORMAT: 'json' }, true), 'json');
  assert.equal(stderrLogFormat({ PLEXUS_LOG_FORMAT: 'pretty' }, false), 'pretty');
  assert.equal(stderrLogFormat({ PLEXUS_LOG_FORMAT: 'other' }, false), 'json');
});

test('the two formats as written to stderr', () => {
  const script = `import { createLogger } from ${JSON.stringify(new URL('./log.ts', import.meta.url).href)};
    createLogger({ name: 'probe' }).info({ n: 1 }, 'hello');`;
  const run = (format: string) =>
    spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      env: { ...process.env, PLEXUS_LOG_FORMAT: format, NO_COLOR: '1' },
      encoding: 'utf8',
    }).stderr;
  const json = JSON.parse(run('json')) as { msg: string; n: number; name: string };
  assert.deepEqual([json.msg, json.n, json.name], ['hello', 1, 'probe']);
  const pretty = run('pretty');
  assert.match(pretty, /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO \(probe\): hello\n {4}n: 1\n$/);
});
