import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Catalog } from '../upstream/upstream.ts';
import { mergeCatalogs, routeResource, templatePrefix, type MountedSource } from './merge.ts';

function source(name: string, parts: Partial<Catalog> = {}, resourcePrefixes: string[] = []): MountedSource {
  return {
    name,
    resourcePrefixes,
    catalog: {
      serverInfo: { name, version: '1' },
      capabilities: {},
      instructions: undefined,
      tools: [],
      prompts: [],
      resources: [],
      resourceTemplates: [],
      ...parts,
    },
  };
}
const tool = (name: string) => ({ name, inputSchema: { type: 'object' as const } });

test('names are prefixed with the server and keep everything else', () => {
  const { merged, problems } = mergeCatalogs(
    [source('a', { tools: [{ ...tool('x'), description: 'd', _meta: { 'io.plexus/scope': 'read' } }] })],
    true,
  );
  assert.deepEqual(problems, []);
  assert.deepEqual(merged.tools.get('a__x'), {
    source: merged.tools.get('a__x')?.source,
    original: 'x',
    item: {
      name: 'a__x',
      inputSchema: { type: 'object' },
      description: 'd',
      _meta: { 'io.plexus/scope': 'read' },
    },
  });
  const single = mergeCatalogs([source('a', { tools: [tool('x')] })], false).merged;
  assert.ok(single.tools.has('x'));
});

test('a collision names both sources; a name over 64 characters names its source', () => {
  const long = 'y'.repeat(60);
  const { problems } = mergeCatalogs(
    [
      source('a', { tools: [tool('b__c')] }),
      source('a__b', { tools: [tool('c')] }),
      source('srv', { tools: [tool(long)] }),
    ],
    true,
  );
  assert.deepEqual(problems, [
    "tool name 'a__b__c' collides: server 'a' tool 'b__c' and server 'a__b' tool 'c'",
    `tool name 'srv__${long}' from server 'srv' tool '${long}' is 65 characters (limit 64)`,
  ]);
  const badChars = mergeCatalogs([source('s', { tools: [tool('has space')] })], true).problems;
  assert.match(badChars[0] ?? '', /outside \[a-zA-Z0-9_-\]/);
  const prompts = mergeCatalogs(
    [source('a', { prompts: [{ name: 'b__c' }] }), source('a__b', { prompts: [{ name: 'c' }] })],
    true,
  ).problems;
  assert.deepEqual(prompts, [
    "prompt name 'a__b__c' collides: server 'a' prompt 'b__c' and server 'a__b' prompt 'c'",
  ]);
});

test('resources route by exact URI, then by the longest template or configured prefix', () => {
  const a = source(
    'a',
    {
      resources: [{ uri: 'mem://notes/1', name: 'n1' }],
      resourceTemplates: [{ uriTemplate: 'mem://notes/{id}', name: 'note' }],
    },
    ['file:///a/'],
  );
  const b = source('b', { resourceTemplates: [{ uriTemplate: 'mem://notes/shared/{id}', name: 'shared' }] });
  const { merged, problems } = mergeCatalogs([a, b], true);
  assert.deepEqual(problems, []);
  assert.equal(routeResource(merged, 'mem://notes/1'), a);
  assert.equal(routeResource(merged, 'mem://notes/7'), a);
  assert.equal(routeResource(merged, 'mem://notes/shared/7'), b);
  assert.equal(routeResource(merged, 'file:///a/x.txt'), a);
  assert.equal(routeResource(merged, 'file:///b/x.txt'), undefined);
  assert.equal(merged.resources.get('mem://notes/1')?.item.name, 'a__n1');
  assert.equal(templatePrefix('x://{a}/{b}'), 'x://');
  assert.equal(templatePrefix('x://fixed'), 'x://fixed');

  const clash = mergeCatalogs(
    [
      source('a', { resources: [{ uri: 'u://1', name: 'one' }] }),
      source('b', { resources: [{ uri: 'u://1', name: 'uno' }] }),
    ],
    true,
  ).problems;
  assert.deepEqual(clash, ["resource 'u://1' collides: server 'a' and server 'b'"]);
});

test('an upstream without a catalog yet (down) contributes nothing', () => {
  const down: MountedSource = { name: 'down', catalog: null, resourcePrefixes: [] };
  const { merged, problems } = mergeCatalogs([down, source('up', { tools: [tool('t')] })], true);
  assert.deepEqual(problems, []);
  assert.deepEqual([...merged.tools.keys()], ['up__t']);
});
