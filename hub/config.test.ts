import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { PlexusError } from '../lib/errors.ts';
import { applyEnv, loadHubConfig, parseHubConfig } from './config.ts';

test('an empty config is the embedded default: loopback, auth on, every section defaulted', () => {
  const config = parseHubConfig({});
  assert.equal(config.host, '127.0.0.1');
  assert.equal(config.port, 7420);
  assert.equal(config.auth.enabled, true);
  assert.equal(config.limits.rateBurst, 120);
  assert.equal(config.pool.startTimeoutSeconds, 30);
  assert.deepEqual(config.servers, {});
  assert.deepEqual(config.mcpServers, {});
});

test('mcpServers accepts the standard stdio and URL entries', () => {
  const config = parseHubConfig({
    mcpServers: {
      files: { command: 'npx', args: ['-y', 'server-filesystem', '/tmp'], env: { A: 'b' } },
      remote: {
        type: 'http',
        url: 'https://mcp.example/mcp',
        headers: { Authorization: 'Bearer x' },
        scope: 'read',
      },
    },
  });
  assert.deepEqual(config.mcpServers['files'], {
    command: 'npx',
    args: ['-y', 'server-filesystem', '/tmp'],
    env: { A: 'b' },
    scope: 'write',
    resourcePrefixes: [],
    disabled: false,
  });
  assert.equal((config.mcpServers['remote'] as { url: string }).url, 'https://mcp.example/mcp');
});

test('errors name the field', () => {
  const cases: [unknown, RegExp][] = [
    [{ port: 70000 }, /config: port: /],
    [{ limits: { rateBurst: 0 } }, /limits\.rateBurst: /],
    [{ pool: { startTimeoutSeconds: 0 } }, /pool\.startTimeoutSeconds: /],
    [{ mcpServers: { 'no spaces': { command: 'x' } } }, /mcpServers\.no spaces: /],
    [{ mcpServers: { x: { args: [] } } }, /mcpServers\.x: /],
    [{ servers: { identity: { url: 'not a url' } } }, /servers\.identity\.url: /],
    [
      { virtualServers: { v: { tools: ['fetch_events'] } } },
      /virtualServers\.v\.tools\.0: .*<server>__<tool>/,
    ],
    [{ virtualServers: { v: { tools: [] } } }, /virtualServers\.v\.tools: must name at least one tool/],
    [{ virtualServers: { 'a/b': { tools: ['router__x'] } } }, /virtualServers\.a\/b: /],
    [{ surprise: true }, /Unrecognized key/],
  ];
  for (const [raw, pattern] of cases) {
    assert.throws(
      () => parseHubConfig(raw, 'config'),
      (error: unknown) =>
        error instanceof PlexusError && error.kind === 'invalid' && pattern.test(error.message),
      JSON.stringify(raw),
    );
  }
});

test('environment variables override the file; a bad value names the variable', () => {
  const env = {
    PLEXUS_PORT: '8080',
    PLEXUS_HOST: '0.0.0.0',
    PLEXUS_DATA: '/var/lib/plexus',
    PLEXUS_DATABASE_URL: 'postgres://db/plexus',
    PLEXUS_REDIS_URL: 'redis://cache:6379',
    PLEXUS_CORS_ORIGINS: 'https://a.example, https://b.example',
    PLEXUS_START_TIMEOUT_SECONDS: '5',
    OLLAMA_HOST: 'gpu-box:11434',
  };
  const out = parseHubConfig(applyEnv({ port: 1, servers: { memory: {} } }, env));
  assert.equal(out.port, 8080);
  assert.equal(out.host, '0.0.0.0');
  assert.equal(out.dataDir, '/var/lib/plexus');
  assert.equal(out.databaseUrl, 'postgres://db/plexus');
  assert.equal(out.redisUrl, 'redis://cache:6379');
  assert.deepEqual(out.cors.origins, ['https://a.example', 'https://b.example']);
  assert.equal(out.pool.startTimeoutSeconds, 5);
  assert.deepEqual(out.servers['llm']?.settings, { ollama_host: 'http://gpu-box:11434' });
  // The file's own llm setting wins over OLLAMA_HOST.
  const kept = applyEnv(
    { servers: { llm: { settings: { ollama_host: 'http://x:1' } } } },
    { OLLAMA_HOST: 'y' },
  );
  assert.deepEqual(kept, { servers: { llm: { settings: { ollama_host: 'http://x:1' } } } });
  assert.throws(() => applyEnv({}, { PLEXUS_PORT: 'eighty' }), /PLEXUS_PORT: must be a whole number/);
  assert.throws(
    () => applyEnv({}, { PLEXUS_START_TIMEOUT_SECONDS: '30s' }),
    /PLEXUS_START_TIMEOUT_SECONDS: must be a whole number/,
  );
});

test('loadHubConfig reads plexus.json, resolves dataDir against it, and refuses broken files', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plexus-config-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  assert.equal(loadHubConfig({ cwd: dir, env: {} }).file, null);
  fs.writeFileSync(path.join(dir, 'plexus.json'), JSON.stringify({ dataDir: 'state', port: 9000 }));
  const loaded = loadHubConfig({ cwd: dir, env: { PLEXUS_PORT: '9001' } });
  assert.equal(loaded.config.dataDir, path.join(dir, 'state'));
  assert.equal(loaded.config.port, 9001);
  fs.writeFileSync(path.join(dir, 'broken.json'), '{ nope');
  assert.throws(() => loadHubConfig({ cwd: dir, env: {}, file: 'broken.json' }), /not valid JSON/);
  assert.throws(() => loadHubConfig({ cwd: dir, env: {}, file: 'missing.json' }), /no such config file/);
});

test('oauth: pre-registered clients are checked, naming the field', () => {
  const config = parseHubConfig({
    oauth: {
      clients: {
        desk: { name: 'Desk app', redirectUris: ['http://127.0.0.1:9000/cb', 'https://app.example/cb'] },
        job: {
          name: 'Nightly job',
          grantTypes: ['client_credentials'],
          secretSha256: 'a'.repeat(64),
          user: 'ci',
          scopes: ['read'],
        },
      },
    },
  });
  assert.deepEqual(config.oauth.clients['desk']?.grantTypes, ['authorization_code', 'refresh_token']);
  assert.equal(config.oauth.clientMetadataDocuments.enabled, true);
  assert.deepEqual(config.oauth.clientMetadataDocuments.allowAddresses, []);
  const cases: [unknown, RegExp][] = [
    [
      { clients: { a: { name: 'A', redirectUris: ['http://evil.example/cb'] } } },
      /oauth\.clients\.a\.redirectUris\.0: .*https/,
    ],
    [{ clients: { a: { name: 'A' } } }, /oauth\.clients\.a\.redirectUris: required for authorization_code/],
    [
      { clients: { a: { name: 'A', grantTypes: ['client_credentials'] } } },
      /oauth\.clients\.a\.secretSha256: required/,
    ],
    [
      { clients: { a: { name: 'A', grantTypes: ['client_credentials'], secretSha256: 'b'.repeat(64) } } },
      /oauth\.clients\.a\.user: required for client_credentials/,
    ],
    [
      { clientMetadataDocuments: { allowAddresses: ['metadata'] } },
      /oauth\.clientMetadataDocuments\.allowAddresses\.0/,
    ],
  ];
  for (const [oauth, pattern] of cases) {
    assert.throws(
      () => parseHubConfig({ oauth }, 'config'),
      (error: unknown) => error instanceof PlexusError && pattern.test(error.message),
      JSON.stringify(oauth),
    );
  }
});
