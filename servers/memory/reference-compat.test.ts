import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { agent, memoryHarness, tempDir } from './testing.ts';

const REFERENCE = join(
  import.meta.dirname,
  '../../node_modules/@modelcontextprotocol/server-memory/dist/index.js',
);
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

/** The same calls, in order, for both servers. Chosen to exercise every documented semantic. */
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
  [
    'create_relations',
    {
      relations: [
        { from: 'Alice', to: 'Acme', relationType: 'works_at' },
        { from: 'Bob', to: 'Alice', relationType: 'knows' },
        { from: 'Dave', to: 'Carol', relationType: 'mentors' },
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
  ['add_observations', { observations: [{ entityName: 'Nobody', contents: ['x'] }] }],
  ['search_nodes', { query: 'acme' }],
  ['search_nodes', { query: 'FRENCH' }],
  ['search_nodes', { query: 'person' }],
  ['search_nodes', { query: 'no such thing' }],
  ['open_nodes', { names: ['Alice', 'Zed'] }],
  ['open_nodes', { names: ['Carol'] }],
  [
    'delete_observations',
    {
      deletions: [
        { entityName: 'Alice', observations: ['likes tea', 'never said'] },
        { entityName: 'Nobody', observations: ['x'] },
      ],
    },
  ],
  ['delete_relations', { relations: [{ from: 'Bob', to: 'Alice', relationType: 'knows' }] }],
  ['delete_entities', { entityNames: ['Acme', 'Nope'] }],
  ['read_graph', {}],
  ['create_entities', { entities: [{ name: 'Acme', entityType: 'company', observations: ['reborn'] }] }],
  ['add_observations', { observations: [{ entityName: 'Alice', contents: ['likes tea'] }] }],
  ['read_graph', {}],
  ['open_nodes', { names: ['Acme', 'Alice'] }],
];

function outcome(result: CallToolResult): unknown {
  return result.isError ? { isError: true } : result.structuredContent;
}

test('the graph tools give the reference memory server results for the same calls', async (t) => {
  const referenceClient = new Client({ name: 'plexus-compat', version: '0.1.0' });
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [REFERENCE],
    env: { ...process.env, MEMORY_FILE_PATH: join(tempDir(t), 'memory.jsonl') },
    stderr: 'ignore',
  });
  t.after(() => referenceClient.close());
  await referenceClient.connect(transport);
  const ours = await memoryHarness(t).connect(agent().did);

  // Same tool names, same argument names, same required arguments.
  const [refTools, ourTools] = await Promise.all([referenceClient.listTools(), ours.listTools()]);
  for (const name of GRAPH_TOOLS) {
    const ref = refTools.tools.find((tool) => tool.name === name);
    const our = ourTools.tools.find((tool) => tool.name === name);
    assert.ok(ref && our, name);
    const refProps = Object.keys(ref.inputSchema.properties ?? {});
    assert.deepEqual(
      refProps.filter((p) => !Object.keys(our.inputSchema.properties ?? {}).includes(p)),
      [],
      `${name} arguments`,
    );
    assert.deepEqual(our.inputSchema.required ?? [], ref.inputSchema.required ?? [], `${name} required`);
    assert.deepEqual(
      Object.keys(our.outputSchema?.properties ?? {}),
      Object.keys(ref.outputSchema?.properties ?? {}),
      `${name} result fields`,
    );
  }

  for (const [i, [name, args]] of SEQUENCE.entries()) {
    const expected = outcome((await referenceClient.callTool({ name, arguments: args })) as CallToolResult);
    const actual = outcome((await ours.callTool({ name, arguments: args })) as CallToolResult);
    assert.deepEqual(actual, expected, `step ${i}: ${name} ${JSON.stringify(args)}`);
  }
  // The sequence really exercised the graph (not two empty answers).
  const final = (await ours.callTool({
    name: 'open_nodes',
    arguments: { names: ['Alice'] },
  })) as CallToolResult;
  assert.deepEqual(final.structuredContent, {
    entities: [
      { name: 'Alice', entityType: 'person', observations: ['works at Acme', 'speaks French', 'likes tea'] },
    ],
    relations: [],
  });
});
