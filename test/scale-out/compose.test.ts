import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { parse } from 'yaml';
import { applyEnv, loadHubConfig, REMOTE_CORE_SERVERS } from '../../hub/config.ts';
import { coreServerNames, loadServer } from '../../servers/catalog.ts';
import { identitySettingsWithEnv, parseServeArgs } from '../../servers/serve-cli.ts';

const ROOT = new URL('../../', import.meta.url);
const SAMPLE_TOKEN = 'c2FtcGxlLXNlcnZpY2UtdG9rZW4tZm9yLWNvbXBvc2UtdGVzdHM';

interface Service {
  image?: string;
  build?: unknown;
  command?: string[];
  environment?: Record<string, string | number>;
  ports?: unknown[];
  healthcheck?: { test?: string[] };
  depends_on?: Record<string, { condition: string }>;
  volumes?: string[];
}

/** The .env a LAN deployment writes (docs/deploy.md); the other variables keep their defaults. */
const DOT_ENV: Record<string, string> = {
  PLEXUS_SERVICE_TOKEN: SAMPLE_TOKEN,
  PLEXUS_PUBLIC_URL: 'https://plexus.lan',
};
/** Variables docker-compose.yml may use, each with a default or a required-variable message. */
const COMPOSE_VARIABLES = new Set([
  'PLEXUS_SERVICE_TOKEN',
  'PLEXUS_PUBLIC_URL',
  'PLEXUS_TLS',
  'PLEXUS_CHAT_MODEL',
  'PLEXUS_EMBED_MODEL',
]);

/** Compose's own variable substitution: `${X:?message}`, `${X:-default}`, and `$$` for a literal `$`. */
function substitute(value: string): string {
  return value.replace(
    /\$\$|\$\{(\w+)(?::([?-])([^}]*))?\}/g,
    (match, name?: string, kind?: string, rest?: string) => {
      if (match === '$$') return '$';
      assert.ok(name && COMPOSE_VARIABLES.has(name), `unexpected variable ${name} in docker-compose.yml`);
      const set = DOT_ENV[name];
      if (set !== undefined) return set;
      assert.equal(kind, '-', `${name} has no default`);
      return rest ?? '';
    },
  );
}

const compose = parse(fs.readFileSync(new URL('docker-compose.yml', ROOT), 'utf8'), { merge: true }) as {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
};
const services = compose.services;
const plexusServices = Object.entries(services).filter(([, s]) => s.image === 'plexus:latest');

function envOf(service: Service): Record<string, string> {
  return Object.fromEntries(
    Object.entries(service.environment ?? {}).map(([k, v]) => [k, substitute(String(v))]),
  );
}

/** Variables `plexus serve` reads itself (serve-cli.ts, llm component), beyond the hub config's. */
const SERVE_VARIABLES = new Set([
  'PLEXUS_DATA',
  'PLEXUS_DATABASE_URL',
  'PLEXUS_REDIS_URL',
  'PLEXUS_SERVICE_TOKEN',
  'PLEXUS_LOG_LEVEL',
  'PLEXUS_ALLOWED_HOSTS',
  'PLEXUS_PUBLIC_URL',
  'PLEXUS_TOKEN_ENDPOINTS',
  'OLLAMA_HOST',
]);

/** A hub variable is known when applying it alone changes the raw config. */
function hubKnows(name: string, value: string): boolean {
  return JSON.stringify(applyEnv({}, { [name]: value })) !== '{}';
}

test('the stack has the hub, every core server, PostgreSQL with pgvector, Redis and Ollama', () => {
  for (const name of ['hub', ...coreServerNames(), 'postgres', 'redis', 'ollama']) {
    assert.ok(services[name], `service ${name} missing`);
  }
  assert.match(services['postgres']?.image ?? '', /^pgvector\/pgvector:/);
  assert.match(services['redis']?.image ?? '', /^redis:/);
  assert.match(services['ollama']?.image ?? '', /^ollama\/ollama/);
});

test('only Caddy publishes ports, and every long-running service has a health check and a volume', () => {
  for (const [name, service] of Object.entries(services)) {
    if (name === 'caddy')
      assert.deepEqual(service.ports, ['0.0.0.0:80:80', '0.0.0.0:443:443', '0.0.0.0:443:443/udp']);
    else assert.equal(service.ports, undefined, `${name} must not publish ports`);
    if (name === 'migrate' || name === 'ollama-pull') continue;
    assert.ok(service.healthcheck?.test?.length, `${name} has no health check`);
    assert.ok(service.volumes?.length, `${name} has no volume`);
    for (const volume of service.volumes ?? []) {
      const named = volume.split(':')[0] as string;
      if (named.startsWith('./')) continue; // a file of this repository, mounted read-only
      assert.ok(named in compose.volumes, `${name}: volume ${named} is not declared`);
    }
  }
});

test('the hub environment is valid hub config and mounts every core server by URL with the service token', () => {
  const hub = services['hub'] as Service;
  const env = envOf(hub);
  for (const [name, value] of Object.entries(env)) {
    assert.ok(
      hubKnows(name, value) || SERVE_VARIABLES.has(name),
      `hub: ${name} is not a variable the hub reads`,
    );
  }
  const { config } = loadHubConfig({ env, cwd: '/nonexistent-plexus-dir' });
  assert.equal(config.serviceToken, SAMPLE_TOKEN);
  assert.ok(config.databaseUrl?.startsWith('postgres://'));
  assert.ok(config.redisUrl?.startsWith('redis://'));
  assert.deepEqual(
    [...REMOTE_CORE_SERVERS].sort(),
    coreServerNames().sort(),
    'every core server can be mounted by URL',
  );
  for (const name of coreServerNames()) {
    const url = new URL(config.servers[name]?.url ?? 'http://missing');
    assert.equal(url.hostname, name, `hub mounts ${name} from its own service`);
    const server = services[name] as Service;
    const options = parseServeArgs(server.command?.slice(1) ?? [], envOf(server));
    assert.equal(String(options.port), url.port, `${name}: hub URL port matches the serve port`);
    assert.equal(url.pathname, '/mcp');
    assert.ok(hub.depends_on?.[name], `hub depends on ${name}`);
  }
});

test('every server runs `plexus serve <name> --port`, reachable by its service name, with known variables', async () => {
  const hubEnv = envOf(services['hub'] as Service);
  for (const name of coreServerNames()) {
    const service = services[name] as Service;
    const command = (service.command ?? []).map(substitute);
    assert.equal(command[0], 'serve');
    const env = envOf(service);
    const options = parseServeArgs(command.slice(1), env);
    assert.equal(options.name, name);
    assert.equal(options.mode, 'http');
    assert.equal(options.host, '0.0.0.0');
    assert.equal(options.noAuth, false, `${name} must check tokens`);
    assert.equal(options.serviceToken, SAMPLE_TOKEN, `${name} shares the hub's service token`);
    if (name === 'llm') {
      // The models the llm server asks for are those the one-shot pulls into Ollama.
      const pull = envOf(services['ollama-pull'] as Service);
      const llm = await loadServer('llm');
      assert.deepEqual(
        (llm.settingsFromArgs?.(options.serverArgs) as { default_models?: unknown }).default_models,
        { chat: pull['PLEXUS_CHAT_MODEL'], embed: pull['PLEXUS_EMBED_MODEL'] },
      );
    } else assert.deepEqual(options.serverArgs, [], `${name}: unknown arguments`);
    for (const variable of Object.keys(env)) {
      assert.ok(SERVE_VARIABLES.has(variable), `${name}: ${variable} is not a variable serve reads`);
    }
    assert.equal(env['PLEXUS_DATABASE_URL'], hubEnv['PLEXUS_DATABASE_URL']);
    assert.equal(env['PLEXUS_REDIS_URL'], hubEnv['PLEXUS_REDIS_URL']);
    assert.ok(env['PLEXUS_ALLOWED_HOSTS']?.split(',').includes(name), `${name} accepts Host: ${name}`);
    assert.ok(
      service.healthcheck?.test?.join(' ').includes(`connect(${options.port},`),
      `${name}: the health check probes port ${options.port}`,
    );
    for (const [sibling, url] of options.siblings) {
      const target = new URL(url);
      assert.equal(target.hostname, sibling);
      const siblingOptions = parseServeArgs(services[sibling]?.command?.slice(1) ?? [], {});
      assert.equal(target.port, String(siblingOptions.port), `${name} → ${sibling} port`);
      assert.ok(service.depends_on?.[sibling], `${name} waits for ${sibling}`);
    }
  }
  // One public URL: the hub's, identity's (the assertion audiences it accepts) and Caddy's site are the same.
  const publicUrl = DOT_ENV['PLEXUS_PUBLIC_URL'];
  assert.equal(hubEnv['PLEXUS_PUBLIC_URL'], publicUrl);
  const identityEnv = envOf(services['identity'] as Service);
  const { tokenEndpoints } = identitySettingsWithEnv(undefined, identityEnv) as { tokenEndpoints: string[] };
  assert.deepEqual(tokenEndpoints, [publicUrl, `${publicUrl}/oauth/token`]);
  assert.equal(envOf(services['llm'] as Service)['OLLAMA_HOST'], 'http://ollama:11434');
});

test('the plexus services share one image built by a Node 24 Dockerfile', () => {
  assert.ok(plexusServices.length >= 7);
  const dockerfile = fs.readFileSync(new URL('Dockerfile', ROOT), 'utf8');
  assert.match(dockerfile, /^FROM node:24-bookworm-slim$/m);
  assert.match(dockerfile, /npm ci --omit=dev/);
  assert.match(dockerfile, /"--no-node-snapshot", "bin\/plexus.ts"/);
  // Every runtime folder is copied in (tests and benchmarks are not needed).
  for (const folder of ['bin', 'lib', 'schemas', 'servers', 'hub', 'agent-host', 'sandbox']) {
    assert.match(dockerfile, new RegExp(`^COPY ${folder} \\./${folder}$`, 'm'), `${folder} not copied`);
  }
  const migrate = services['migrate'] as Service;
  assert.deepEqual(migrate.command, ['migrate']);
  for (const [name, service] of plexusServices) {
    if (name === 'migrate' || name === 'hub') continue;
    assert.equal(service.depends_on?.['migrate']?.condition, 'service_completed_successfully', name);
  }
});

test('Caddy serves the public URL over TLS in front of the hub, and a one-shot pulls the models into Ollama', () => {
  const caddy = services['caddy'] as Service;
  const env = envOf(caddy);
  assert.equal(env['PLEXUS_PUBLIC_URL'], DOT_ENV['PLEXUS_PUBLIC_URL']);
  assert.equal(env['PLEXUS_TLS'], 'internal', "a LAN name gets a certificate from Caddy's internal CA");
  assert.equal(env['PLEXUS_HUB_UPSTREAM'], 'hub:7420');
  assert.equal(caddy.depends_on?.['hub']?.condition, 'service_healthy');
  const mounted = caddy.volumes?.find((v) => v.endsWith(':/etc/caddy/Caddyfile:ro'))?.split(':')[0] ?? '';
  const caddyfile = fs.readFileSync(new URL(mounted, ROOT), 'utf8');
  for (const variable of ['PLEXUS_PUBLIC_URL', 'PLEXUS_TLS', 'PLEXUS_HUB_UPSTREAM'])
    assert.ok(caddyfile.includes(`{$${variable}`), `the Caddyfile reads ${variable}`);

  const pull = services['ollama-pull'] as Service;
  assert.equal(envOf(pull)['OLLAMA_HOST'], 'http://ollama:11434');
  assert.equal(pull.depends_on?.['ollama']?.condition, 'service_healthy');
  assert.deepEqual(pull.command?.map(substitute), [
    'ollama pull "$PLEXUS_CHAT_MODEL" && ollama pull "$PLEXUS_EMBED_MODEL"',
  ]);
});

test('docker-compose.yml passes the Compose specification check (dclint: schema and rules)', () => {
  const bin = fileURLToPath(new URL('node_modules/dclint/bin/dclint.cjs', ROOT));
  // Ollama's image stays on its moving tag: new model families need a current server.
  const run = spawnSync(
    process.execPath,
    [
      bin,
      fileURLToPath(new URL('docker-compose.yml', ROOT)),
      '-q',
      '--disable-rule',
      'service-image-require-explicit-tag',
    ],
    { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' } },
  );
  assert.equal(run.status, 0, `dclint found problems:\n${run.stdout}${run.stderr}`);
  // The check itself catches a file Compose would refuse.
  const broken = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'plexus-compose-')), 'docker-compose.yml');
  fs.writeFileSync(
    broken,
    fs.readFileSync(new URL('docker-compose.yml', ROOT), 'utf8').replace("restart: 'no'", 'restarts: never'),
  );
  const refused = spawnSync(process.execPath, [bin, broken, '-q'], { encoding: 'utf8' });
  fs.rmSync(path.dirname(broken), { recursive: true, force: true });
  assert.notEqual(refused.status, 0);
  assert.match(refused.stdout + refused.stderr, /additional properties/);
});
