import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { capturingLogger } from '../test/helpers/log-capture.ts';
import { AgentConfig, agentPaths } from './config.ts';
import { defaultServers } from './local-tools.ts';
import { LocalTools } from '../lib/mcp/local-tools.ts';

const HANDSHAKE_ONLY = path.resolve(import.meta.dirname, '../test/fixtures/handshake-only-stdio.ts');

test('local tool servers: 2026-07-28 where they speak it, the 2025 handshake where not, one that exits on the question started again', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plexus-local-tools-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const config = AgentConfig.parse({});
  const { log, lines } = capturingLogger();
  const tools = new LocalTools(log);
  t.after(() => tools.close());
  await tools.start(
    {
      ...defaultServers(config, agentPaths(dir, config)),
      strict: { command: process.execPath, args: [HANDSHAKE_ONLY], env: {}, disabled: false },
    },
    30_000,
  );
  const protocols = Object.fromEntries(
    lines
      .filter((line) => line.msg === 'local tool server connected')
      .map((line) => [String(line['server']), line['protocol']]),
  );
  assert.deepEqual(protocols, {
    filesystem: '2025-11-25',
    system: '2026-07-28',
    sandbox: '2026-07-28',
    strict: '2025-11-25',
  });
  const echoed = await tools.toolsWith(() => null).call('strict__echo', { text: 'still here' });
  assert.deepEqual(echoed.content, [{ type: 'text', text: 'still here' }]);
  const info = await tools.toolsWith(() => null).call('system__get_system_info', {});
  assert.equal(info.isError, undefined);
});
