import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, test, type TestContext } from 'node:test';
import { McpServer } from '@modelcontextprotocol/server';
import type { AuthInfo } from '@modelcontextprotocol/server';
import type { Client } from '@modelcontextprotocol/client';
import { pino } from 'pino';
import { z } from 'zod';
import { PlexusError, invalid } from '../errors.ts';
import { CALLER_META_KEY, DELEGATE_SCOPE } from './caller.ts';
import { SCOPE_META_KEY, defineTool } from './define-tool.ts';
import { authInfoFor, connectInProcess } from './in-process.ts';
import { toolErrorOf } from './result.ts';
const AGENT = 'did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK';

/** A server with one tool per scope plus tools that fail in each way; log lines are collected. */
function build(logLines: string[]): McpServer {
  const server = new McpServer({ name: 'test', version: '1.0.0' });
  const log = pino(
    { level: 'info' },
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        logLines.push(chunk.toString());
        done();
      },
    }),
  );
  const output = z.object({ who: z.string(), scopes: z.array(z.string()), n: z.number() });
  for (const scope of ['public', 'read', 'write', 'admin'] as const) {
    defineTool(
      server,
      { log },
      {
        name: `${scope}_echo`,
        title: `${scope} echo`,
        description: 'echoes the caller',
        scope,
        input: z.object({ n: z.number().int() }),
        output,
        annotations: {
          readOnlyHint: true,
          destructiveHint: false,
          idempotentHint: true,
          openWorldHint: false,
        },
        handler: async ({ n }, { caller }) => ({
          structured: { who: caller.subject, scopes: [...caller.scopes], n },
          text: `hello ${caller.subject}`,
        }),
      },
    );
  }
  const fail = (name: string, error: () => Error, plainErrors?: string[]) =>
    defineTool(
      server,
      { log },
      {
        name,
        title: name,
        description: 'fails',
        scope: 'read',
        input: z.object({}),
        output,
        annotations: {
          readOnlyHint: true,
          destructiveHint: false,
          idempotentHint: true,
          openWorldHint: false,
        },
        handler: () => Promise.reject(error()),
        ...(plainErrors ? { plainErrors } : {}),
      },
    );
  defineTool(
    server,
    { log },
    {
      name: 'count_to',
      title: 'count to n',
      description: 'reports each step as progress when asked to',
      scope: 'read',
      input: z.object({ n: z.number().int() }),
      output: z.object({ reported: z.boolean() }),
      annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
      handler: async ({ n }, { progress }) => {
        for (let step = 1; step <= n && progress; step++)
          await progress({ progress: step, total: n, _meta: { 'io.plexus/step': { step } } });
        return { structured: { reported: progress !== null }, text: `counted to ${n}` };
      },
    },
  );
  fail('fail_invalid', () => invalid('envelope.nonce', 'must be 16 bytes', 'nonce_invalid'));
  fail(
    'fail_not_found',
    () => new PlexusError('not_found', 'agent_not_found', 'no such agent', { hint: 'register first' }),
  );
  fail(
    'fail_plain',
    () => new PlexusError('not_found', 'agent_not_found', 'no such agent', { hint: 'register first' }),
    ['agent_not_found'],
  );
  fail('fail_internal', () => new Error('SELECT * FROM secrets failed at /srv/db.sqlite'));
  return server;
}

async function connect(t: TestContext, authInfo?: AuthInfo): Promise<{ client: Client; logLines: string[] }> {
  const logLines: string[] = [];
  const server = build(logLines);
  t.after(() => server.close());
  const client = await connectInProcess(server, authInfo ? { authInfo } : {});
  t.after(() => client.close());
  return { client, logLines };
}

describe('defineTool over a real SDK client', () => {
  test('lists tools with title, annotations, schemas and the scope in _meta', async (t) => {
    const { client } = await connect(t, authInfoFor(AGENT, ['read']));
    const { tools } = await client.listTools();
    const echo = tools.find((tool) => tool.name === 'write_echo');
    assert.ok(echo);
    assert.equal(echo.title, 'write echo');
    assert.equal(echo.annotations?.readOnlyHint, true);
    assert.equal(echo.inputSchema.type, 'object');
    assert.equal(echo.outputSchema?.type, 'object');
    assert.equal(echo._meta?.[SCOPE_META_KEY], 'write');
  });

  test('a caller with the scope gets structured content and text', async (t) => {
    const { client } = await connect(t, authInfoFor(AGENT, ['write']));
    const result = await client.callTool({ name: 'read_echo', arguments: { n: 3 } });
    assert.equal(result.isError, undefined);
    assert.deepEqual(result.structuredContent, { who: AGENT, scopes: ['write'], n: 3 });
    assert.deepEqual(result.content, [{ type: 'text', text: `hello ${AGENT}` }]);
  });

  test('a tool sends progress of the call when the client asked for it, its _meta kept; else it has none', async (t) => {
    const { client } = await connect(t, authInfoFor(AGENT, ['read']));
    const updates: unknown[] = [];
    const asked = await client.callTool(
      { name: 'count_to', arguments: { n: 2 } },
      { onprogress: (update) => updates.push(update) },
    );
    assert.deepEqual(asked.structuredContent, { reported: true });
    assert.deepEqual(updates, [
      { progress: 1, total: 2, _meta: { 'io.plexus/step': { step: 1 } } },
      { progress: 2, total: 2, _meta: { 'io.plexus/step': { step: 2 } } },
    ]);
    const unasked = await client.callTool({ name: 'count_to', arguments: { n: 2 } });
    assert.deepEqual(unasked.structuredContent, { reported: false });
  });

  test('a caller without the scope is refused with insufficient_scope', async (t) => {
    const { client } = await connect(t, authInfoFor(AGENT, ['read']));
    for (const name of ['write_echo', 'admin_echo']) {
      const result = await client.callTool({ name, arguments: { n: 1 } });
      assert.equal(result.isError, true);
      assert.equal(toolErrorOf(result)?.code, 'insufficient_scope', name);
      assert.equal(toolErrorOf(result)?.kind, 'forbidden', name);
    }
  });

  test('an unauthenticated caller reaches public tools only', async (t) => {
    const { client } = await connect(t);
    const open = await client.callTool({ name: 'public_echo', arguments: { n: 1 } });
    assert.deepEqual(open.structuredContent, { who: 'anonymous', scopes: [], n: 1 });
    const closed = await client.callTool({ name: 'read_echo', arguments: { n: 1 } });
    assert.equal(toolErrorOf(closed)?.code, 'insufficient_scope');
  });

  test('a delegate’s forwarded caller is checked with narrowed scopes', async (t) => {
    const { client } = await connect(t, authInfoFor('service:hub', [DELEGATE_SCOPE, 'read', 'write']));
    const call = (scopes: string[], name: string) =>
      client.callTool({
        name,
        arguments: { n: 1 },
        _meta: { [CALLER_META_KEY]: { subject: AGENT, scopes } },
      });
    const ok = await call(['write'], 'write_echo');
    assert.deepEqual(ok.structuredContent, { who: AGENT, scopes: ['write'], n: 1 });
    // admin asked for, but the delegate itself lacks it: narrowed away.
    assert.equal(toolErrorOf(await call(['admin'], 'admin_echo'))?.code, 'insufficient_scope');
    assert.equal(toolErrorOf(await call(['read'], 'write_echo'))?.code, 'insufficient_scope');
  });

  test('forged _meta from a non-delegate is ignored', async (t) => {
    const { client } = await connect(t, authInfoFor(AGENT, ['read']));
    const result = await client.callTool({
      name: 'read_echo',
      arguments: { n: 1 },
      _meta: { [CALLER_META_KEY]: { subject: 'operator:root', scopes: ['admin'] } },
    });
    assert.deepEqual(result.structuredContent, { who: AGENT, scopes: ['read'], n: 1 });
  });

  test('arguments failing the input schema are an invalid-params error', async (t) => {
    const { client } = await connect(t, authInfoFor(AGENT, ['read']));
    const result = await client.callTool({ name: 'read_echo', arguments: { n: 'one' } });
    assert.equal(result.isError, true);
    assert.equal(toolErrorOf(result)?.code, 'invalid_params');
    assert.equal(toolErrorOf(result)?.field, 'n');
    assert.equal(toolErrorOf(result)?.kind, 'invalid');
  });

  test('an invalid PlexusError keeps its code and names the field', async (t) => {
    const { client } = await connect(t, authInfoFor(AGENT, ['read']));
    const result = await client.callTool({ name: 'fail_invalid', arguments: {} });
    assert.equal(result.isError, true);
    assert.deepEqual(toolErrorOf(result), {
      code: 'nonce_invalid',
      message: 'envelope.nonce: must be 16 bytes',
      field: 'envelope.nonce',
      kind: 'invalid',
    });
  });

  test('other PlexusErrors become recoverable tool errors with code and hint', async (t) => {
    const { client } = await connect(t, authInfoFor(AGENT, ['read']));
    const result = await client.callTool({ name: 'fail_not_found', arguments: {} });
    assert.equal(result.isError, true);
    assert.deepEqual(toolErrorOf(result), {
      code: 'agent_not_found',
      message: 'no such agent',
      hint: 'register first',
      kind: 'not_found',
    });
  });

  test('a plain error code is shown as its bare message, its code and hint kept in _meta', async (t) => {
    const { client } = await connect(t, authInfoFor(AGENT, ['read']));
    const plain = await client.callTool({ name: 'fail_plain', arguments: {} });
    assert.equal(plain.isError, true);
    assert.deepEqual(plain.content, [{ type: 'text', text: 'no such agent' }]);
    assert.deepEqual(toolErrorOf(plain), {
      code: 'agent_not_found',
      message: 'no such agent',
      hint: 'register first',
      kind: 'not_found',
    });
    const coded = await client.callTool({ name: 'fail_not_found', arguments: {} });
    assert.deepEqual(coded.content, [
      { type: 'text', text: '[agent_not_found] no such agent (register first)' },
    ]);
  });

  test('an internal error is logged but never shown to the caller', async (t) => {
    const { client, logLines } = await connect(t, authInfoFor(AGENT, ['read']));
    const result = await client.callTool({ name: 'fail_internal', arguments: {} });
    assert.equal(result.isError, true);
    assert.equal(toolErrorOf(result)?.code, 'internal');
    assert.equal(toolErrorOf(result)?.kind, 'internal');
    const shown = JSON.stringify(result);
    assert.equal(shown.includes('secrets'), false);
    assert.equal(shown.includes('/srv/db.sqlite'), false);
    assert.equal(logLines.length, 1);
    assert.match(logLines[0]!, /SELECT \* FROM secrets/);
    assert.match(logLines[0]!, /"tool":"fail_internal"/);
  });
});
