import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import { parse } from 'yaml';
import { applyEnv, loadHubConfig, REMOTE_CORE_SERVERS } from '../../hub/config.ts';
import { coreServerNames } from '../../servers/catalog.ts';
import { parseServeArgs } from '../../servers/serve-cli.ts';

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

/** Compose's own variable substitution, for the one variable the file requires. */
function substitute(value: string): string {
  return value.replace(/\$\{(\w+)(?::\?[^}]*)?\}/g, (_m, name: string) => {
    assert.equal(name, 'PLEXUS_SERVICE_TOKEN', `unexpected variable ${name} in docker-compose.yml`);
    return SAMPLE_TOKEN;
  });
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

test('only the hub publishes a port, and every long-running service has a health check and a volume', () => {
  for (const [name, service] of Object.entries(services)) {
    if (name === 'hub') assert.deepEqual(service.ports, ['7420:7420']);
    else assert.equal(service.ports, undefined, `${name} must not publish ports`);
    if (name === 'migrate') continue;
    assert.ok(service.healthcheck?.test?.length, `${name} has no health check`);
    assert.ok(service.volumes?.length, `${name} has no volume`);
    for (const volume of service.volumes ?? []) {
      const named = volume.split(':')[0] as string;
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

test('every server runs `plexus serve <name> --port`, reachable by its service name, with known variables', () => {
  const hubEnv = envOf(services['hub'] as Service);
  for (const name of coreServerNames()) {
    const service = services[name] as Service;
    const command = service.command ?? [];
    assert.equal(command[0], 'serve');
    const env = envOf(service);
    const options = parseServeArgs(command.slice(1), env);
    assert.equal(options.name, name);
    assert.equal(options.mode, 'http');
    assert.equal(options.host, '0.0.0.0');
    assert.equal(options.noAuth, false, `${name} must check tokens`);
    assert.equal(options.serviceToken, SAMPLE_TOKEN, `${name} shares the hub's service token`);
    assert.deepEqual(options.serverArgs, [], `${name}: unknown arguments`);
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
  const tokenEndpoints = envOf(services['identity'] as Service)['PLEXUS_TOKEN_ENDPOINTS']?.split(',');
  assert.ok(
    tokenEndpoints?.includes(`${hubEnv['PLEXUS_PUBLIC_URL']}/oauth/token`),
    'identity accepts assertions addressed to the hub token endpoint',
  );
  assert.ok(
    tokenEndpoints?.includes(String(hubEnv['PLEXUS_PUBLIC_URL'])),
    'and to the hub issuer (what SDK clients address them to)',
  );
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
