import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { PlexusError } from '../lib/errors.ts';
import { parseHubConfig } from '../hub/config.ts';
import { DEFAULT_HUB_URL, agentPaths, editConfigFile, hubUrlOf, loadAgentConfig } from './config.ts';

function tempDir(t: TestContext): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plexus-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('defaults are the seed values; agent.json, then the environment, then --hub override them', (t) => {
  const dir = tempDir(t);
  const defaults = loadAgentConfig(dir, {});
  assert.equal(defaults.reconnectIntervalMs, 5_000);
  assert.equal(defaults.messageTimeoutMs, 30_000);
  assert.equal(defaults.maxConcurrentTasks, 5);
  assert.equal(defaults.shutdownGraceMs, 10_000);
  assert.equal(defaults.heartbeatIntervalMs, 60_000);
  assert.equal(defaults.storagePath, 'data');
  assert.deepEqual(defaults.mcpServers, {});
  assert.equal(hubUrlOf(defaults, undefined), DEFAULT_HUB_URL);

  fs.writeFileSync(
    path.join(dir, 'agent.json'),
    JSON.stringify({
      hubUrl: 'http://hub.example:7420/',
      maxConcurrentTasks: 2,
      mcpServers: {
        notes: { command: 'notes-server', args: ['--ro'] },
        web: { url: 'http://127.0.0.1:9000/mcp' },
      },
    }),
  );
  const file = loadAgentConfig(dir, {});
  assert.equal(hubUrlOf(file, undefined), 'http://hub.example:7420');
  assert.equal(file.maxConcurrentTasks, 2);
  assert.deepEqual(file.mcpServers['notes'], {
    command: 'notes-server',
    args: ['--ro'],
    env: {},
    disabled: false,
  });
  const env = loadAgentConfig(dir, {
    PLEXUS_HUB: 'http://other:1',
    PLEXUS_MAX_CONCURRENT_TASKS: '9',
    PLEXUS_SHUTDOWN_GRACE_MS: '0',
  });
  assert.equal(hubUrlOf(env, undefined), 'http://other:1');
  assert.equal(env.maxConcurrentTasks, 9);
  assert.equal(env.shutdownGraceMs, 0);
  assert.equal(hubUrlOf(env, 'http://flag:2'), 'http://flag:2');
  assert.equal(agentPaths(dir, env).database, path.join(dir, 'data', 'agent.db'));
});

test('bad values are refused naming the field', (t) => {
  const dir = tempDir(t);
  const refused = (env: Record<string, string>, field: RegExp) =>
    assert.throws(
      () => loadAgentConfig(dir, env),
      (error: unknown) =>
        error instanceof PlexusError && error.code === 'config_invalid' && field.test(error.message),
    );
  refused({ PLEXUS_HEARTBEAT_INTERVAL_MS: 'soon' }, /heartbeatIntervalMs/);
  refused({ PLEXUS_MAX_CONCURRENT_TASKS: '0' }, /maxConcurrentTasks/);
  refused({ PLEXUS_SHUTDOWN_GRACE_MS: '-1' }, /shutdownGraceMs/);
  refused({ PLEXUS_HUB: 'not a url' }, /hubUrl/);
  fs.writeFileSync(
    path.join(dir, 'agent.json'),
    JSON.stringify({ mcpServers: { 'bad name!': { command: 'x' } } }),
  );
  refused({}, /mcpServers/);
  fs.writeFileSync(path.join(dir, 'agent.json'), JSON.stringify({ surprise: true }));
  refused({}, /surprise/);
  fs.writeFileSync(path.join(dir, 'agent.json'), '{ not json');
  refused({}, /agent\.json/);
});

test('p2p is off unless asked for; its fields are checked by name', (t) => {
  const dir = tempDir(t);
  assert.deepEqual(loadAgentConfig(dir, {}).p2p, {
    listen: false,
    host: '127.0.0.1',
    port: 0,
    direct: true,
    askTimeoutMs: 120_000,
    allowAddresses: ['loopback', 'private'],
    limits: { burst: 20, perSecond: 1, totalBurst: 100, totalPerSecond: 10, maxConcurrentAsks: 2 },
  });
  fs.writeFileSync(path.join(dir, 'agent.json'), JSON.stringify({ p2p: { listen: true, port: 4100 } }));
  assert.equal(loadAgentConfig(dir, {}).p2p.port, 4100);
  fs.writeFileSync(path.join(dir, 'agent.json'), JSON.stringify({ p2p: { port: 70_000 } }));
  assert.throws(() => loadAgentConfig(dir, {}), /p2p\.port/);
  fs.writeFileSync(path.join(dir, 'agent.json'), JSON.stringify({ p2p: { allowAddresses: ['metadata'] } }));
  assert.throws(() => loadAgentConfig(dir, {}), /p2p\.allowAddresses/);
  fs.writeFileSync(path.join(dir, 'agent.json'), JSON.stringify({ p2p: { limits: { perSecond: 0 } } }));
  assert.throws(() => loadAgentConfig(dir, {}), /p2p\.limits\.perSecond/);
  fs.writeFileSync(path.join(dir, 'agent.json'), JSON.stringify({ p2p: { listen: true, host: '0.0.0.0' } }));
  assert.throws(() => loadAgentConfig(dir, {}), /p2p\.publicUrl: is needed when listening on 0\.0\.0\.0/);
});

test('topics to follow: none by default; an edit keeps the rest of agent.json as written and must stay valid', (t) => {
  const dir = tempDir(t);
  assert.deepEqual(loadAgentConfig(dir, {}).topics, []);
  fs.writeFileSync(path.join(dir, 'agent.json'), JSON.stringify({ name: 'alice' }));
  editConfigFile(dir, (raw) => ({ ...raw, topics: ['news', 'team.alpha/standup'] }));
  assert.deepEqual(JSON.parse(fs.readFileSync(path.join(dir, 'agent.json'), 'utf8')), {
    name: 'alice',
    topics: ['news', 'team.alpha/standup'],
  });
  assert.deepEqual(loadAgentConfig(dir, {}).topics, ['news', 'team.alpha/standup']);
  assert.throws(
    () => editConfigFile(dir, (raw) => ({ ...raw, topics: ['News!'] })),
    (error: unknown) => error instanceof PlexusError && /topics\.0/.test(error.message),
  );
  assert.deepEqual(loadAgentConfig(dir, {}).topics, ['news', 'team.alpha/standup'], 'left as it was');
  assert.deepEqual(fs.readdirSync(dir), ['agent.json']);
});

test('the default hub is where a hub listens by default', () => {
  const hub = parseHubConfig({});
  assert.equal(DEFAULT_HUB_URL, `http://${hub.host}:${hub.port}`);
});
