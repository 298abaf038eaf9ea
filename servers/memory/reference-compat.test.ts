import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { Client } from '@modelcontextprotocol/client';
import type { CallToolResult } from '@modelcontextprotocol/client';
import { agent, memoryHarness, tempDir } from './testing.ts';

const REFERENCE = join(
  import.meta.dirname,
  '../../node_modules/@modelcontextprotocol/server-memory/dist/index.js',
);
const PLEXUS = join(import.meta.dirname, '../../bin/plexus.ts');
const GRAPH_TOOLS = [
  'create_entities',
  'create_relations',
  'add_observations',
  'delete_entities',
  'delete_observations',
  'delete_relations',
  'read_graph',
  'search_nodes',
  'open_nodes',
];

/**
 * The same calls, in order, for both servers, chosen to exercise every documented semantic: creates with
 * names and relations already present, observations already present or for a missing entity (which fails the
 * whole call), searches, opens with unknown names, deletes of what does not exist, and delete_entities ending
 * relations to and from the deleted names, with or without an entity of that name.
 */
const SEQUENCE: [string, Record<string, unknown>][] = [
  ['read_graph', {}],
  [
    'create_entities',
    {
      entities: [
        { name: 'Alice', entityType: 'person', observations: ['likes tea', 'works at Acme'] },
        { name: 'Bob', entityType: 'person', observations: ['plays chess'] },
        { name: 'Acme', entityType: 'company', observations: [] },
      ],
    },
  ],
  [
    'create_entities',
    {
      entities: [
        { name: 'Alice', entityType: 'robot', observations: ['ignored'] },
        { name: 'Carol', entityType: 'person', observations: ['new here'] },
      ],
    },
  ],
  ['create_entities', { entities: [{ name: 'Bob', entityType: 'person', observations: ['plays chess'] }] }],
  [
    'create_relations',
    {
      relations: [
        { from: 'Alice', to: 'Acme', relationType: 'works_at' },
        { from: 'Bob', to: 'Alice', relationType: 'knows' },
        { from: 'Dave', to: 'Carol', relationType: 'mentors' },
        { from: 'Carol', to: 'Eve', relationType: 'mentors' },
        { from: 'Bob', to: 'Acme', relationType: 'audits' },
      ],
    },
  ],
  [
    'create_relations',
    {
      relations: [
        { from: 'Alice', to: 'Acme', relationType: 'works_at' },
        { from: 'Alice', to: 'Acme', relationType: 'founded' },
      ],
    },
  ],
  [
    'add_observations',
    {
      observations: [
        { entityName: 'Alice', contents: ['likes tea', 'speaks French'] },
        { entityName: 'Acme', contents: ['founded 1990'] },
      ],
    },
  ],
  [
    'add_observations',
    {
      observations: [
        { entityName: 'Bob', contents: ['plays go'] },
        { entityName: 'Bob', contents: ['plays go', 'likes puzzles'] },
      ],
    },
  ],
  ['add_observations', { observations: [{ entityName: 'Nobody', contents: ['x'] }] }],
  [
    'add_observations',
    {
      observations: [
        { entityName: 'Carol', contents: ['never stored'] },
        { entityName: 'Nobody', contents: ['x'] },
      ],
    },
  ],
  ['search_nodes', { query: 'acme' }],
  ['search_nodes', { query: 'FRENCH' }],
  ['search_nodes', { query: 'person' }],
  ['search_nodes', { query: 'no such thing' }],
  ['open_nodes', { names: ['Alice', 'Zed'] }],
  ['open_nodes', { names: ['Carol'] }],
  ['open_nodes', { names: ['Zed'] }],
  [
    'delete_observations',
    {
      deletions: [
        { entityName: 'Alice', observations: ['likes tea', 'never said'] },
        { entityName: 'Nobody', observations: ['x'] },
      ],
    },
  ],
  [
    'delete_relations',
    {
      relations: [
        { from: 'Bob', to: 'Alice', relationType: 'knows' },
        { from: 'Bob', to: 'Alice', relationType: 'never_related' },
      ],
    },
  ],
  ['delete_entities', { entityNames: ['Acme', 'Nope'] }],
  ['read_graph', {}],
  ['delete_entities', { entityNames: ['Dave', 'Eve'] }],
  ['read_graph', {}],
  ['create_entities', { entities: [{ name: 'Acme', entityType: 'company', observations: ['reborn'] }] }],
  ['create_relations', { relations: [{ from: 'Alice', to: 'Acme', relationType: 'works_at' }] }],
  ['add_observations', { observations: [{ entityName: 'Alice', contents: ['likes tea'] }] }],
  ['read_graph', {}],
  ['open_nodes', { names: ['Acme', 'Alice'] }],
];

/** What a client sees of a tool result: whether it failed, its content and its structured content. */
function seen(result: CallToolResult): unknown {
  return {
    isError: result.isError === true,
    content: result.content,
    structuredContent: result.structuredContent,
  };
}

/** A client of a server run as a stdio child, as Claude Desktop runs one; closed after the test. */
async function stdioClient(
  t: TestContext,
  args: string[],
  env: Record<string, string> = {},
): Promise<Client> {
  const client = new Client({ name: 'plexus-compat', version: '0.1.0' });
  t.after(() => client.close());
  await client.connect(
    new StdioClientTransport({
      command: process.execPath,
      args,
      env: { ...(process.env as Record<string, string>), ...env },
      stderr: 'ignore',
    }),
    { timeout: 120_000 },
  );
  return client;
}

/** The reference memory server, on a fresh file. */
function reference(t: TestContext): Promise<Client> {
  return stdioClient(t, [REFERENCE], { MEMORY_FILE_PATH: join(tempDir(t), 'memory.jsonl') });
}

/** Tool names, argument names and required arguments the same; the result fields too. */
async function sameTools(ours: Client, ref: Client): Promise<void> {
  const [refTools, ourTools] = await Promise.all([ref.listTools(), ours.listTools()]);
  for (const name of GRAPH_TOOLS) {
    const refTool = refTools.tools.find((tool) => tool.name === name);
    const our = ourTools.tools.find((tool) => tool.name === name);
    assert.ok(refTool && our, name);
    const refProps = Object.keys(refTool.inputSchema.properties ?? {});
    assert.deepEqual(
      refProps.filter((p) => !Object.keys(our.inputSchema.properties ?? {}).includes(p)),
      [],
      `${name} arguments`,
    );
    assert.deepEqual(our.inputSchema.required ?? [], refTool.inputSchema.required ?? [], `${name} required`);
    assert.deepEqual(
      Object.keys(our.outputSchema?.properties ?? {}),
      Object.keys(refTool.outputSchema?.properties ?? {}),
      `${name} result fields`,
    );
  }
}

const FINAL_GRAPH = {
  entities: [
    { name: 'Alice', entityType: 'person', observations: ['works at Acme', 'speaks French', 'likes tea'] },
    { name: 'Bob', entityType: 'person', observations: ['plays chess', 'plays go', 'likes puzzles'] },
    { name: 'Carol', entityType: 'person', observations: ['new here'] },
    { name: 'Acme', entityType: 'company', observations: ['reborn'] },
  ],
  relations: [{ from: 'Alice', to: 'Acme', relationType: 'works_at' }],
};

/**
 * Runs the sequence on both servers, comparing each answer; `beforeStep` runs before each call (the
 * in-process run moves its clock there). Returns the steps the reference failed.
 */
async function compare(
  ours: Client,
  ref: Client,
  beforeStep: (i: number) => void = () => {},
): Promise<number[]> {
  const failed: number[] = [];
  for (const [i, [name, args]] of SEQUENCE.entries()) {
    beforeStep(i);
    const expected = await ref.callTool({ name, arguments: args });
    const actual = await ours.callTool({ name, arguments: args });
    assert.deepEqual(seen(actual), seen(expected), `step ${i}: ${name} ${JSON.stringify(args)}`);
    if (expected.isError) failed.push(i);
  }
  // The sequence really exercised the graph: both missing-entity calls failed, and the rest built a graph.
  assert.deepEqual(
    failed.map((i) => SEQUENCE[i]?.[0]),
    ['add_observations', 'add_observations'],
  );
  const final = await ours.callTool({ name: 'read_graph', arguments: {} });
  assert.deepEqual(final.structuredContent, FINAL_GRAPH);
  return failed;
}

test('over stdio, `plexus serve memory` answers as the reference memory server, call for call', async (t) => {
  // As Claude Desktop runs it: the local user's identity (created on first use) is the caller.
  const ours = await stdioClient(t, [
    '--no-node-snapshot',
    PLEXUS,
    'serve',
    'memory',
    '--stdio',
    '--data',
    tempDir(t),
  ]);
  const ref = await reference(t);
  await sameTools(ours, ref);
  await compare(ours, ref);
});

test('in process, the graph tools answer as the reference, and history stays behind the deletes', async (t) => {
  const ref = await reference(t);
  let now = 1_000;
  const ours = await memoryHarness(t, { now: () => now }).connect(agent().did);
  await sameTools(ours, ref);
  let beforeDeletes = 0;
  await compare(ours, ref, (i) => {
    now += 1_000;
    if (SEQUENCE[i]?.[0].startsWith('delete_') && beforeDeletes === 0) beforeDeletes = now - 1;
  });
  // Deleting only invalidated: Plexus still sees the graph as it was before the deletes.
  const past = await ours.callTool({ name: 'read_graph', arguments: { as_of: beforeDeletes } });
  assert.deepEqual(
    (past.structuredContent as { relations: { from: string; to: string }[] }).relations.map(
      (r) => `${r.from}>${r.to}`,
    ),
    ['Alice>Acme', 'Bob>Alice', 'Dave>Carol', 'Carol>Eve', 'Bob>Acme', 'Alice>Acme'],
  );
});
