import assert from 'node:assert/strict';
import { test } from 'node:test';
import { connectClient, fixtureFactory, startTestHub, stdioFixtureEntry } from './helpers.ts';

test('the hub aggregates upstreams under <server>__<name> and routes calls, prompts and resources', async (t) => {
  const hub = await startTestHub(
    t,
    { auth: { enabled: false }, mcpServers: { kid: stdioFixtureEntry() } },
    { components: { fix: fixtureFactory } },
  );
  const client = await connectClient(t, hub.mcpUrl);
  const { tools } = await client.listTools();
  const names = tools.map((tool) => tool.name);
  assert.ok(names.includes('fix__test_simple_text'));
  assert.ok(names.includes('kid__test_simple_text'));
  assert.ok(names.every((n) => n.startsWith('fix__') || n.startsWith('kid__')));

  const viaInProcess = await client.callTool({ name: 'fix__test_simple_text', arguments: {} });
  assert.deepEqual(viaInProcess.content, [
    { type: 'text', text: 'This is a simple text response for testing.' },
  ]);
  const who = await client.callTool({ name: 'kid__whoami', arguments: {} });
  assert.equal((who.structuredContent as { subject: string }).subject, 'operator:local');

  const { prompts } = await client.listPrompts();
  assert.ok(prompts.some((p) => p.name === 'kid__test_prompt_with_arguments'));
  const prompt = await client.getPrompt({
    name: 'fix__test_prompt_with_arguments',
    arguments: { arg1: 'a', arg2: 'b' },
  });
  assert.match(JSON.stringify(prompt.messages), /arg1='a', arg2='b'/);

  // Resources keep their URIs (names are prefixed) and are routed by URI: exact, then template prefix.
  const { resources } = await client.listResources();
  assert.ok(resources.some((r) => r.uri === 'kid://static-text' && r.name === 'kid__static-text'));
  assert.ok(resources.some((r) => r.uri === 'test://static-text' && r.name === 'fix__static-text'));
  const { resourceTemplates } = await client.listResourceTemplates();
  assert.ok(
    resourceTemplates.some(
      (r) => r.name === 'fix__template' && r.uriTemplate === 'test://template/{id}/data',
    ),
  );
  const viaTemplate = await client.readResource({ uri: 'kid://template/42/data' });
  assert.deepEqual(JSON.parse((viaTemplate.contents[0] as { text: string }).text), {
    id: '42',
    templateTest: true,
    data: 'Data for ID: 42',
  });
  const exact = await client.readResource({ uri: 'test://static-text' });
  assert.equal(
    (exact.contents[0] as { text: string }).text,
    'This is the content of the static text resource.',
  );
  await assert.rejects(client.readResource({ uri: 'nowhere://x' }), /no mounted server serves resource/);

  // /mcp/<server> is one upstream, unprefixed.
  const single = await connectClient(t, `${hub.mcpUrl}/kid`);
  const singleTools = await single.listTools();
  assert.ok(singleTools.tools.some((tool) => tool.name === 'test_simple_text'));
  assert.equal(single.getServerVersion()?.name, 'plexus-conformance-fixture');
  const completion = await single.complete({
    ref: { type: 'ref/prompt', name: 'test_prompt_with_arguments' },
    argument: { name: 'arg1', value: 'par' },
  });
  assert.deepEqual(completion.completion.values, ['paris', 'park', 'party']);
});
