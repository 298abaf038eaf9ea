#!/usr/bin/env -S node --no-node-snapshot
// The one CLI. Each command lives in its own module and exports `run(argv): Promise<number>` (exit code).
import fs from 'node:fs';
import { pathToFileURL } from 'node:url';
import { startTracing } from '../lib/telemetry/tracing.ts';

interface Command {
  module: string;
  summary: string;
}

const commands: Record<string, Command> = {
  hub: { module: '../hub/cli.ts', summary: 'run the hub: every server behind one MCP endpoint (npm start)' },
  user: {
    module: '../hub/user-cli.ts',
    summary: 'hub users who sign in by OAuth: user add|list|remove|passwd NAME',
  },
  serve: {
    module: '../servers/serve-cli.ts',
    summary: 'run one server alone: serve <name> [--stdio | --port N]',
  },
  status: {
    module: '../agent-host/cli/status.ts',
    summary: "the hub's health, servers, agents online, messages/s and memory embedder",
  },
  agents: { module: '../agent-host/cli/agents.ts', summary: 'agents registered at the hub [--capability C]' },
  tasks: {
    module: '../agent-host/cli/tasks.ts',
    summary: 'tasks dispatch|list|get|cancel: hand work to agents with a capability',
  },
  memory: {
    module: '../agent-host/cli/memory.ts',
    summary: 'memory remember|recall|graph: notes and the graph',
  },
  agent: {
    module: '../agent-host/cli.ts',
    summary: 'run an agent: agent init|whoami|start|send|ask|chat|inbox|vouch|revoke [--dir DIR] [--hub URL]',
  },
  tool: { module: '../sandbox/cli.ts', summary: 'sandboxed tool packages: tool init|sign|test <dir>' },
  tools: {
    module: '../agent-host/tools-cli.ts',
    summary: 'the tool registry: tools publish <dir>|search|withdraw|install <name>|update|list|remove',
  },
  migrate: {
    module: '../servers/migrate-cli.ts',
    summary: "bring every server's PostgreSQL schema up to date (PLEXUS_DATABASE_URL)",
  },
  token: {
    module: '../hub/token-cli.ts',
    summary: 'mint an operator access token (token create --scope … --ttl …)',
  },
};

/** The long-running processes, which export traces when an OTLP endpoint is configured (docs/deploy.md). */
function tracedService(name: string, rest: string[]): string | null {
  if (name === 'hub') return 'plexus-hub';
  if (name === 'serve' && rest[0] && !rest[0].startsWith('-')) return `plexus-${rest[0]}`;
  return null;
}

function usage(): string {
  const width = Math.max(...Object.keys(commands).map((name) => name.length), 4);
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return [
    'usage: plexus <command> [options]      plexus --version',
    '',
    'commands:',
    ...lines,
    '',
    'Every command takes --help; the ones that print results take --json. Docs: docs/cli.md',
  ].join('\n');
}

/** This package's version, from its package.json. */
function version(): string {
  const file = new URL('../package.json', import.meta.url);
  return (JSON.parse(fs.readFileSync(file, 'utf8')) as { version: string }).version;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    // Asked for: the answer, on stdout; a bare `plexus`: a usage mistake, on stderr.
    (name ? process.stdout : process.stderr).write(`${usage()}\n`);
    return name ? 0 : 2;
  }
  if (name === '--version' || name === '-V' || name === 'version') {
    process.stdout.write(`plexus ${version()} (node ${process.versions.node})\n`);
    return 0;
  }
  const command = Object.hasOwn(commands, name) ? commands[name] : undefined;
  if (!command) {
    console.error(`plexus: unknown command '${name}'\n\n${usage()}`);
    return 2;
  }
  const mod = (await import(pathToFileURL(new URL(command.module, import.meta.url).pathname).href)) as {
    run(argv: string[]): Promise<number>;
  };
  const service = tracedService(name, rest);
  const tracing = service ? startTracing({ serviceName: service, env: process.env }) : null;
  try {
    return await mod.run(rest);
  } finally {
    await tracing?.shutdown();
  }
}

process.exitCode = await main(process.argv.slice(2));
