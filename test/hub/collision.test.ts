import assert from 'node:assert/strict';
import { test } from 'node:test';
import { McpServer } from '@modelcontextprotocol/server';
import type { ComponentFactory } from '../../lib/mcp/component.ts';
import { CatalogConflictError } from '../../hub/aggregate/merge.ts';
import { startTestHub } from './helpers.ts';

/** A component with plain tools of the given names. */
function withTools(...names: string[]): ComponentFactory {
  return () =>
    Promise.resolve({
      createServer() {
        const server = new McpServer({ name: 'tools', version: '1' });
        for (const name of names) server.registerTool(name, { description: name }, () => ({ content: [] }));
        return server;
      },
      close: () => Promise.resolve(),
    });
}

test('a name collision between two servers is a startup error naming both', async (t) => {
  await assert.rejects(
    startTestHub(
      t,
      { auth: { enabled: false } },
      { components: { a: withTools('b__c'), a__b: withTools('c') } },
    ),
    (error: unknown) => {
      assert.ok(error instanceof CatalogConflictError);
      assert.deepEqual(error.problems, [
        "tool name 'a__b__c' collides: server 'a' tool 'b__c' and server 'a__b' tool 'c'",
      ]);
      return true;
    },
  );
});

test('a public name over 64 characters is a startup error naming its source', async (t) => {
  const long = 'z'.repeat(61);
  await assert.rejects(
    startTestHub(t, { auth: { enabled: false } }, { components: { abc: withTools(long) } }),
    new RegExp(`tool name 'abc__${long}' from server 'abc' tool '${long}' is 66 characters \\(limit 64\\)`),
  );
});

test('a mount name used twice (servers and mcpServers) is a startup error', async (t) => {
  await assert.rejects(
    startTestHub(
      t,
      { auth: { enabled: false }, mcpServers: { dup: { url: 'http://127.0.0.1:9/mcp' } } },
      { components: { dup: withTools('x') } },
    ),
    /'dup' is configured both in servers and in mcpServers/,
  );
});
