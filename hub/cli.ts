import { addAbortListener } from 'node:events';
import path from 'node:path';
import { describeError } from '../lib/cli/errors.ts';
import { parseFlags } from '../lib/cli/flags.ts';
import { createLogger } from '../lib/log.ts';
import { PlexusError } from '../lib/errors.ts';
import { loadHubConfig, type HubConfig } from './config.ts';
import { startAggregation, startHub, type RunningHub } from './hub.ts';
import { ChildProcesses } from './upstream/children.ts';
import { createSessionServer } from './aggregate/session-server.ts';
import { serveStdio } from '../lib/mcp/serve-stdio.ts';
import { localUserAuth } from '../lib/mcp/serve-http.ts';
import { localUser } from '../lib/identity/local-user.ts';
import { identityLink } from './identity-link.ts';

const USAGE = `usage: plexus hub [--config FILE] [--host H] [--port N] [--data DIR] [--no-auth] [--log-level L]
                  [--start-timeout SECONDS]
       plexus hub --stdio [--config FILE] [--data DIR] [--start-timeout SECONDS]

Runs the hub: every configured server behind one MCP endpoint (/mcp, and /mcp/<server> for one server).
With --stdio it serves the same aggregate to the one local client that started it (Claude Desktop), with no
HTTP port, for the local user: a did:key person identity created on first use in the data dir.
It answers /healthz at once; each server gets --start-timeout seconds (pool.startTimeoutSeconds, 30) to
come up, and one that does not is left down, retried with backoff and added when it comes up.
Configuration: plexus.json in the working directory (or --config / PLEXUS_CONFIG); environment variables
PLEXUS_PORT, PLEXUS_HOST, PLEXUS_DATA, PLEXUS_DATABASE_URL, PLEXUS_REDIS_URL, PLEXUS_START_TIMEOUT_SECONDS,
OLLAMA_HOST … override it, and these flags override both.`;

/** The flags that set the config as an environment variable would: the variable and the field it sets. */
const FLAG_MIRRORS = [
  { flag: 'host', env: 'PLEXUS_HOST', field: 'host' },
  { flag: 'port', env: 'PLEXUS_PORT', field: 'port' },
  { flag: 'data', env: 'PLEXUS_DATA', field: 'dataDir' },
  { flag: 'log-level', env: 'PLEXUS_LOG_LEVEL', field: 'logLevel' },
  { flag: 'start-timeout', env: 'PLEXUS_START_TIMEOUT_SECONDS', field: 'pool.startTimeoutSeconds' },
] as const;

/**
 * A config error about a value a flag gave, said as that flag (`--port: …`, not `PLEXUS_PORT: …` or
 * `config: port: …`); any other error as it is.
 */
export function asFlag(error: PlexusError, given: readonly (typeof FLAG_MIRRORS)[number][]): string {
  const mirror = given.find((m) => error.field === m.env || error.field === m.field);
  if (!mirror) return error.message;
  const first = error.message.split('\n')[0] ?? '';
  const at = first.lastIndexOf(`${error.field}: `);
  const reason = at === -1 ? first : first.slice(at + `${error.field}: `.length);
  return `--${mirror.flag}: ${reason}`;
}

/**
 * SIGINT/SIGTERM for the whole run, in place before anything is spawned: the first signal aborts `signal`
 * (a start-up in progress or the running hub), a second one exits at once. On every way out of the process,
 * that one and a crash included, the stdio children still running are killed.
 */
function stopOnSignals(
  children: ChildProcesses,
  onSignal: (signal: NodeJS.Signals) => void,
): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const stop = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) {
      console.error(`plexus hub: ${signal} again, exiting now`);
      process.exit(1);
    }
    onSignal(signal);
    controller.abort(new Error(`stopped by ${signal}`));
  };
  const killLeft = () => children.kill('SIGKILL');
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  process.on('exit', killLeft);
  return {
    signal: controller.signal,
    dispose() {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    },
  };
}

/** Resolves when `signal` aborts (at once when it has). */
function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => void addAbortListener(signal, () => resolve()));
}

/** How to connect, printed once the hub is up (stdout: this is not a stdio server). */
export function connectionHelp(hub: RunningHub, config: HubConfig, cwd: string): string {
  const servers = [...hub.aggregator.mounts.keys()];
  const lines = [
    `Plexus hub listening on ${hub.url}`,
    `  MCP endpoint   ${hub.mcpUrl}   (one server alone: ${hub.mcpUrl}/<name>; mounted: ${servers.join(', ') || 'none'})`,
    `  health         ${hub.url}/healthz   ${hub.url}/readyz   metrics ${hub.url}/metrics`,
  ];
  let header: string;
  if (!hub.authEnabled) {
    lines.push('  auth           OFF (--no-auth dev mode): loopback only, every caller is the operator');
    header = '';
  } else if (hub.operatorTokenFile) {
    const file = path.relative(cwd, hub.operatorTokenFile) || hub.operatorTokenFile;
    lines.push(
      hub.operatorTokenCreated
        ? `  operator token created and saved to ${file} (mode 0600); keep it secret`
        : `  operator token in ${file}`,
      `  send it as     Authorization: Bearer $(cat ${file})`,
    );
    header = ` --header "Authorization: Bearer $(cat ${file})"`;
  } else {
    lines.push('  operator token from the config (auth.operatorToken / PLEXUS_OPERATOR_TOKEN)');
    header = ' --header "Authorization: Bearer $PLEXUS_OPERATOR_TOKEN"';
  }
  lines.push(
    '',
    'Try it with the MCP Inspector:',
    `  npx @modelcontextprotocol/inspector --cli ${hub.mcpUrl} --transport http${header} --method tools/list`,
    ...(hub.authEnabled
      ? [
          `People sign in from any MCP client by OAuth at ${hub.mcpUrl} (add them: plexus user add NAME;`,
          `  the apps they allowed: ${hub.url}/oauth/clients).`,
        ]
      : []),
    `Agents get tokens at ${hub.url}/oauth/token (client_credentials, private_key_jwt with their DID).`,
  );
  if (config.host === '0.0.0.0' || config.host === '::') {
    lines.push(
      `Listening on all interfaces: set publicUrl so clients and OAuth metadata use the right address.`,
    );
  }
  return lines.join('\n');
}

/** The aggregate over stdio: logs stay on stderr, stdout is the protocol. */
async function runStdio(config: HubConfig): Promise<number> {
  const log = createLogger({
    name: 'plexus-hub',
    level: config.logLevel === 'info' ? 'warn' : config.logLevel,
  });
  const children = new ChildProcesses();
  const stopping = stopOnSignals(children, () => {});
  try {
    let running;
    let user;
    try {
      user = localUser(config.dataDir);
      running = await startAggregation({ config, log, signal: stopping.signal, children });
    } catch (error) {
      if (stopping.signal.aborted) return 0;
      console.error(`plexus hub: ${error instanceof Error ? error.message : String(error)}`);
      return 1;
    }
    const { aggregator } = running;
    const identity = aggregator.mounts.get('identity');
    if (identity) {
      const { keys, name, did } = user;
      await identityLink(identity.upstream)
        .registerPerson(keys, name, Date.now())
        .catch((error: unknown) =>
          log.warn({ err: error, did }, 'could not register the local user with identity'),
        );
    }
    addAbortListener(stopping.signal, () => void process.stdin.destroy());
    await serveStdio(
      {
        createServer: () => createSessionServer(aggregator, null) as never,
        close: () => Promise.resolve(),
      },
      {},
      undefined,
      localUserAuth(user.did),
    );
    await running.close();
    return 0;
  } finally {
    stopping.dispose();
  }
}

export async function run(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseFlags(argv, {
      config: { type: 'string' },
      host: { type: 'string' },
      port: { type: 'string' },
      data: { type: 'string' },
      'no-auth': { type: 'boolean' },
      stdio: { type: 'boolean' },
      'log-level': { type: 'string' },
      'start-timeout': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    }));
  } catch (error) {
    console.error(`${describeError('plexus hub', error)}\n  (plexus hub --help lists the flags)`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const env: Record<string, string | undefined> = { ...process.env };
  // Flags are applied as the environment overrides they mirror, so they get the same validation.
  const given = FLAG_MIRRORS.filter((m) => values[m.flag]);
  for (const mirror of given) env[mirror.env] = values[mirror.flag];

  let config: HubConfig;
  let file: string | null;
  try {
    ({ config, file } = loadHubConfig({ file: values.config, env }));
  } catch (error) {
    console.error(`plexus hub: ${error instanceof PlexusError ? asFlag(error, given) : String(error)}`);
    return 2;
  }
  if (values.stdio) return runStdio(config);
  if (values['no-auth']) config.auth.enabled = false;
  if (!config.auth.enabled) {
    console.error(
      [
        '',
        '  !!! WARNING: authentication is OFF (--no-auth) !!!',
        '  Anyone who can reach this port acts as the operator with every scope.',
        `  The hub binds loopback only (${config.host}). Never use this mode on a shared machine.`,
        '',
      ].join('\n'),
    );
  }
  const log = createLogger({ name: 'plexus-hub', level: config.logLevel });
  log.info({ config: file ?? '(defaults)', dataDir: config.dataDir }, 'starting hub');

  const children = new ChildProcesses();
  const stopping = stopOnSignals(children, (signal) => log.info({ signal }, 'stopping hub'));
  try {
    let hub: RunningHub;
    try {
      hub = await startHub({
        config,
        log,
        processMetrics: true,
        signal: stopping.signal,
        children,
        onListening: (url) =>
          process.stdout.write(
            `Plexus hub starting at ${url}: /healthz and /readyz answer now, /mcp once its servers are up\n`,
          ),
      });
    } catch (error) {
      if (stopping.signal.aborted) {
        log.info('hub stopped while starting');
        return 0;
      }
      log.error({ err: error }, 'hub failed to start');
      console.error(`plexus hub: ${error instanceof Error ? error.message : String(error)}`);
      return 1;
    }
    process.stdout.write(`${connectionHelp(hub, config, process.cwd())}\n`);
    await aborted(stopping.signal);
    try {
      await hub.close();
    } catch (error) {
      log.error({ err: error }, 'shutdown failed');
      return 1;
    }
    log.info('hub stopped');
    return 0;
  } finally {
    stopping.dispose();
  }
}
