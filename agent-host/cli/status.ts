// `plexus status`: is the hub up, which servers run, who is online, how busy, which embedder memory uses.
import { OUTPUT_FLAGS, parseFlags } from '../../lib/cli/flags.ts';
import { runGuarded } from '../../lib/cli/errors.ts';
import { fields, printer, table } from '../../lib/cli/output.ts';
import { PlexusError } from '../../lib/errors.ts';
import { describeEmbedder } from '../../servers/memory/tools/get-memory-status.ts';
import type { MemoryStatusOutput } from '../../schemas/memory/notes.ts';
import type { z } from 'zod';
import { unreachable } from '../hub-token.ts';
import {
  CONNECT_FLAGS,
  describeCaller,
  hubUrlFor,
  operatorToken,
  withHub,
  type ConnectFlags,
} from './connect.ts';

const USAGE = `usage: plexus status [--hub URL] [--dir DIR] [--token-file FILE] [--json]

The hub's health, each server it mounts, the agents online, the messages routed per second (the mean of the
last minute; needs an operator token: --token-file, PLEXUS_OPERATOR_TOKEN or ./data/operator-token), and
the embedder the memory server uses (lexical or semantic).`;

interface ServerState {
  name: string;
  state: string;
  kind: string;
  error?: string;
}

export interface Status {
  hub: { url: string; health: 'ok'; status: string };
  caller: string;
  servers: ServerState[];
  agents_online: number | null;
  messages_per_second: number | null;
  memory: (z.infer<typeof MemoryStatusOutput> & { summary: string }) | null;
  /** Why a figure is missing (null above), by figure. */
  notes: Record<string, string>;
}

/** Most agents counted page by page: beyond it the count says "at least". */
const MAX_AGENT_PAGES = 100;

async function getJson(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: unknown }> {
  let response: Response;
  try {
    response = await fetch(url, { headers, signal: AbortSignal.timeout(10_000) });
  } catch (error) {
    throw unreachable(new URL(url).origin, error);
  }
  const text = await response.text();
  try {
    return { status: response.status, body: JSON.parse(text) as unknown };
  } catch {
    return { status: response.status, body: text };
  }
}

/** `plexus_messages_per_second` from the hub's Prometheus text, or why not. */
async function messageRate(hubUrl: string, flags: ConnectFlags): Promise<number | string> {
  const token = operatorToken(flags);
  if (!token) return 'needs an operator token (--token-file, PLEXUS_OPERATOR_TOKEN or ./data/operator-token)';
  const { status, body } = await getJson(`${hubUrl}/metrics`, { Authorization: `Bearer ${token.token}` });
  if (status === 401 || status === 403)
    return `the hub refused the operator token from ${token.source} (${status})`;
  if (status !== 200 || typeof body !== 'string') return `the hub answered /metrics with ${status}`;
  const line = /^plexus_messages_per_second (\S+)$/m.exec(body);
  return line ? Number(line[1]) : 'the hub does not report plexus_messages_per_second';
}

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export async function gatherStatus(flags: ConnectFlags): Promise<Status> {
  const hubUrl = hubUrlFor(flags);
  const health = await getJson(`${hubUrl}/healthz`);
  if (health.status !== 200)
    throw new PlexusError('unavailable', 'hub_unhealthy', `${hubUrl}/healthz answered ${health.status}`);
  const ready = (await getJson(`${hubUrl}/readyz`)).body as {
    status?: string;
    upstreams?: Record<string, { state: string; kind: string; error?: string }>;
  };
  const servers = Object.entries(ready.upstreams ?? {}).map(([name, s]) => ({ name, ...s }));
  const notes: Record<string, string> = {};
  const rate = await messageRate(hubUrl, flags).catch(reason);
  if (typeof rate === 'string') notes['messages_per_second'] = rate;
  const mounted = new Set(servers.map((s) => s.name));
  const seen = await withHub(flags, async ({ session, caller }) => {
    let online: number | null = null;
    if (mounted.has('registry')) {
      try {
        let count = 0;
        let cursor: string | undefined;
        for (let page = 0; page < MAX_AGENT_PAGES; page++) {
          const found = await session.servers.registry.findAgents({
            status: ['online'],
            limit: 100,
            ...(cursor ? { cursor } : {}),
          });
          count += found.agents.length;
          if (!found.cursor) break;
          cursor = found.cursor;
        }
        online = count;
      } catch (error) {
        notes['agents_online'] = reason(error);
      }
    } else notes['agents_online'] = 'the hub mounts no registry';
    let memory: Status['memory'] = null;
    if (mounted.has('memory')) {
      try {
        const status = await session.servers.memory.getMemoryStatus({});
        memory = { ...status, summary: describeEmbedder(status) };
      } catch (error) {
        notes['memory'] = reason(error);
      }
    } else notes['memory'] = 'the hub mounts no memory server';
    return { online, memory, caller: describeCaller(caller) };
  });
  return {
    hub: { url: hubUrl, health: 'ok', status: ready.status ?? 'unknown' },
    caller: seen.caller,
    servers,
    agents_online: seen.online,
    messages_per_second: typeof rate === 'number' ? rate : null,
    memory: seen.memory,
    notes,
  };
}

function human(status: Status): string {
  const figure = (value: number | null, key: string) => value ?? `- (${status.notes[key] ?? 'unknown'})`;
  const summary = fields([
    ['hub', `${status.hub.url}  ${status.hub.status}`],
    ['as', status.caller],
    ['agents online', figure(status.agents_online, 'agents_online')],
    [
      'messages/s',
      status.messages_per_second === null
        ? figure(null, 'messages_per_second')
        : status.messages_per_second.toFixed(2),
    ],
    ['memory', status.memory ? status.memory.summary : figure(null, 'memory')],
  ]);
  const servers = table(status.servers, [
    { header: 'server', value: (s) => s.name },
    { header: 'state', value: (s) => s.state },
    { header: 'kind', value: (s) => s.kind },
    { header: 'error', value: (s) => s.error },
  ]);
  return `${summary}\n\n${servers}`;
}

export function run(argv: string[]): Promise<number> {
  return runGuarded('plexus status', async () => {
    const { values } = parseFlags(argv, { ...CONNECT_FLAGS, ...OUTPUT_FLAGS });
    if (values.help) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    const status = await gatherStatus(values);
    printer(values.json).result(status, () => human(status));
    return 0;
  });
}
