// `plexus memory remember|recall|graph`: the hub's memory server (notes and knowledge graph), as the caller.
import { runVerbs } from '../../lib/cli/errors.ts';
import { flagError, intFlag, jsonFlag, parseFlags, usageError } from '../../lib/cli/flags.ts';
import { printer, table } from '../../lib/cli/output.ts';
import { parseOrThrow, type JsonValue } from '../../schemas/common.ts';
import { RecallInput, RememberInput, type MemoryHit } from '../../schemas/memory/notes.ts';
import { ReadGraphInput, SearchNodesInput, type GraphOutput } from '../../schemas/memory/graph.ts';
import type { z } from 'zod';
import { CONNECT_FLAGS, withHub } from './connect.ts';

const USAGE = `usage: plexus memory <verb> [--dir DIR] [--hub URL] [--json]

  remember <text…> [--meta key=value …] [--public | --group G]   keep a note (private to you by default)
  recall   <query…> [--k N] [--mode hybrid|bm25|vector] [--where key=value …]
                                            the notes nearest the query, best first
  graph    [--search Q] [--public | --group G]
                                            the knowledge graph's entities and relations (--search: only
                                            those whose name, type or observations match)

Notes belong to the caller: the agent in --dir (default ./agent). Whether recall finds related meaning or
only shared words depends on the memory server's embedder: plexus status says which it is.`;

const FLAGS = {
  text: '<text>',
  query: '<query>',
  metadata: '--meta',
  filter: '--where',
  scope: '--group',
  k: '--k',
  mode: '--mode',
};

const SCOPE_FLAGS = { public: { type: 'boolean' }, group: { type: 'string' } } as const;

function scopeOf(values: { public?: boolean | undefined; group?: string | undefined }) {
  if (values.public && values.group !== undefined)
    throw usageError('--public and --group exclude each other');
  if (values.public) return { kind: 'public' as const };
  if (values.group !== undefined) return { kind: 'group' as const, group: values.group };
  return undefined;
}

/** `key=value` pairs (`--meta`, `--where`); values are JSON when they parse as JSON, else text. */
function pairs(flag: string, items: readonly string[] | undefined): Record<string, JsonValue> | undefined {
  if (!items || items.length === 0) return undefined;
  const out: Record<string, JsonValue> = {};
  for (const item of items) {
    const at = item.indexOf('=');
    if (at < 1) throw flagError(flag, `'${item}' is not key=value`);
    out[item.slice(0, at)] = jsonFlag(item.slice(at + 1)) as JsonValue;
  }
  return out;
}

function renderHits(items: readonly z.output<typeof MemoryHit>[]): string {
  return table(
    items,
    [
      { header: 'score', value: (h) => h.score.toFixed(4) },
      { header: 'scope', value: (h) => (h.scope.kind === 'group' ? `group:${h.scope.group}` : h.scope.kind) },
      { header: 'text', value: (h) => h.text },
      { header: 'id', value: (h) => h.id },
    ],
    '(nothing found)',
  );
}

async function remember(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(
    argv,
    { ...CONNECT_FLAGS, ...SCOPE_FLAGS, meta: { type: 'string', multiple: true } },
    true,
  );
  if (positionals.length === 0) throw usageError('the <text> to remember is missing');
  const input = parseOrThrow(RememberInput, {
    text: positionals.join(' '),
    metadata: pairs('meta', values.meta),
    scope: scopeOf(values),
  });
  const { item } = await withHub(values, ({ session }) => session.servers.memory.remember(input), 'agent');
  printer(values.json).result({ item }, () => `remembered ${item.id}`);
  return 0;
}

async function recall(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(
    argv,
    {
      ...CONNECT_FLAGS,
      ...SCOPE_FLAGS,
      k: { type: 'string' },
      mode: { type: 'string' },
      where: { type: 'string', multiple: true },
    },
    true,
  );
  if (positionals.length === 0) throw usageError('the <query> is missing');
  const input = parseOrThrow(RecallInput, {
    query: positionals.join(' '),
    k: intFlag('k', values.k, { min: 1, max: 100 }),
    mode: values.mode,
    scope: scopeOf(values),
    filter: pairs('where', values.where),
  });
  const { items } = await withHub(values, ({ session }) => session.servers.memory.recall(input));
  printer(values.json).result({ items }, () => renderHits(items));
  return 0;
}

type Graph = z.output<typeof GraphOutput>;

function renderGraph(graph: Graph): string {
  const entities = table(
    graph.entities,
    [
      { header: 'entity', value: (e) => e.name },
      { header: 'type', value: (e) => e.entityType },
      { header: 'observations', value: (e) => e.observations.join('; ') },
    ],
    '(no entities)',
  );
  const relations = table(
    graph.relations,
    [
      { header: 'from', value: (r) => r.from },
      { header: 'relation', value: (r) => r.relationType },
      { header: 'to', value: (r) => r.to },
    ],
    '(no relations)',
  );
  return `${entities}\n\n${relations}`;
}

async function graph(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(
    argv,
    { ...CONNECT_FLAGS, ...SCOPE_FLAGS, search: { type: 'string' } },
    true,
  );
  if (positionals.length > 0)
    throw usageError(`unexpected argument '${positionals[0]}' (to search: --search)`);
  const scope = scopeOf(values);
  const found = await withHub(values, ({ session }) =>
    values.search === undefined
      ? session.servers.memory.readGraph(parseOrThrow(ReadGraphInput, { scope }))
      : session.servers.memory.searchNodes(parseOrThrow(SearchNodesInput, { query: values.search, scope })),
  );
  printer(values.json).result(found, () => renderGraph(found));
  return 0;
}

export function run(argv: string[]): Promise<number> {
  return runVerbs('plexus memory', USAGE, { remember, recall, graph }, argv, FLAGS);
}
