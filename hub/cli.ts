import path from 'node:path';
import { parseArgs } from 'node:util';
import { createLogger } from '../lib/log.ts';
import { PlexusError } from '../lib/errors.ts';
import { loadHubConfig, type HubConfig } from './config.ts';
import { startAggregation, startHub, type RunningHub } from './hub.ts';
import { createSessionServer } from './aggregate/session-server.ts';
import { serveStdio } from '../lib/mcp/serve-stdio.ts';

const USAGE = `usage: plexus hub [--config FILE] [--host H] [--port N] [--data DIR] [--no-auth] [--log-level L]
       plexus hub --stdio [--config FILE] [--data DIR]

Runs the hub: every configured server behind one MCP endpoint (/mcp, and /mcp/<server> for one server).
With --stdio it serves the same aggregate to the one local client that started it (Claude Desktop), as
the operator, with no HTTP port.
Configuration: plexus.json in the working directory (or --config / PLEXUS_CONFIG); environment variables
PLEXUS_PORT, PLEXUS_HOST, PLEXUS_DATA, PLEXUS_DATABASE_URL, PLEXUS_REDIS_URL, OLLAMA_HOST … override it,
and these flags override both.`;

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
  let running;
  try {
    running = await startAggregation({ config, log });
  } catch (error) {
    console.error(`plexus hub: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
  const { aggregator } = running;
  const stop = () => void process.stdin.destroy();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  await serveStdio({
    createServer: () => createSessionServer(aggregator, null) as never,
    close: () => Promise.resolve(),
  });
  await running.close();
  return 0;
}

export async function run(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        config: { type: 'string' },
        host: { type: 'string' },
        port: { type: 'string' },
        data: { type: 'string' },
        'no-auth': { type: 'boolean' },
        stdio: { type: 'boolean' },
        'log-level': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    console.error(`plexus hub: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const env: Record<string, string | undefined> = { ...process.env };
  // Flags are applied as the environment overrides they mirror, so they get the same validation.
  if (values.host) env['PLEXUS_HOST'] = values.host;
  if (values.port) env['PLEXUS_PORT'] = values.port;
  if (values.data) env['PLEXUS_DATA'] = values.data;
  if (values['log-level']) env['PLEXUS_LOG_LEVEL'] = values['log-level'];

  let config: HubConfig;
  let file: string | null;
  try {
    ({ config, file } = loadHubConfig({ file: values.config, env }));
  } catch (error) {
    console.error(`plexus hub: ${error instanceof PlexusError ? error.message : String(error)}`);
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

  let hub: RunningHub;
  try {
    hub = await startHub({ config, log, processMetrics: true });
  } catch (error) {
    log.error({ err: error }, 'hub failed to start');
    console.error(`plexus hub: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
  process.stdout.write(`${connectionHelp(hub, config, process.cwd())}\n`);

  const { promise: stopped, resolve } = Promise.withResolvers<number>();
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      console.error(`plexus hub: ${signal} again, exiting now`);
      process.exit(1);
    }
    stopping = true;
    log.info({ signal }, 'stopping hub');
    hub.close().then(
      () => resolve(0),
      (error: unknown) => {
        log.error({ err: error }, 'shutdown failed');
        resolve(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  const code = await stopped;
  process.off('SIGINT', stop);
  process.off('SIGTERM', stop);
  log.info('hub stopped');
  return code;
}
