import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { McpServer } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { AckMessagesInput } from '../../schemas/router/tools.ts';
import { PlexusError } from '../errors.ts';
import { silentLogger } from '../log.ts';
import { DELEGATE_SCOPE, callerOf } from '../mcp/caller.ts';
import { defineTool } from '../mcp/define-tool.ts';
import { authInfoFor, connectInProcess } from '../mcp/in-process.ts';
import { toolError } from '../mcp/result.ts';
import { serveHttp } from '../mcp/serve-http.ts';
import { leasedCaller } from './call-tool.ts';
import { MalformedResultError, ToolError, UnreachableError } from './errors.ts';
import { routerClient } from './router.ts';

const ID = '0190f5c4-6d1a-7cc0-8a1b-1234567890ab';
const annotations = { readOnlyHint: false, openWorldHint: false };

/**
 * A stand-in router whose `ack_messages` answers according to its first id: a well-formed result, one that
 * breaks the schema, a Plexus tool error, a tool error without a kind, or no answer at all.
 */
function stubRouter(): McpServer {
  const server = new McpServer({ name: 'stub-router', version: '1' });
  server.registerTool(
    'ack_messages',
    { inputSchema: z.object({ ids: z.array(z.string()).min(1) }) },
    async ({ ids }, ctx) => {
      const mode = ids[0];
      if (mode === 'never') return new Promise<never>(() => {});
      if (mode === 'kindless') return toolError('upstream_down', 'the upstream is down', 'wait');
      if (mode === 'malformed') return { structuredContent: { acked: ids, unknown: 'none' }, content: [] };
      const caller = callerOf(ctx);
      return { structuredContent: { acked: ids, unknown: [caller.subject] }, content: [] };
    },
  );
  // The real error boundary, so the error arrives as every Plexus tool renders it.
  defineTool(
    server,
    { log: silentLogger },
    {
      name: 'prefixed__ack_messages',
      title: 'ack (refusing)',
      description: 'always refuses',
      scope: 'public',
      input: AckMessagesInput,
      output: z.object({}),
      annotations,
      handler: () =>
        Promise.reject(
          new PlexusError('conflict', 'already_acked', 'ids.0: acked before', {
            hint: 'fetch again',
            field: 'ids.0',
          }),
        ),
    },
  );
  return server;
}

async function connectStub(t: TestContext, subject = 'did:key:z6MkStub', scopes = ['read']): Promise<Client> {
  const client = await connectInProcess(stubRouter(), { authInfo: authInfoFor(subject, scopes) });
  t.after(() => client.close());
  return client;
}

test('a well-formed result comes back parsed', async (t) => {
  const router = routerClient(await connectStub(t));
  assert.deepEqual(await router.ackMessages({ ids: [ID] }), { acked: [ID], unknown: ['did:key:z6MkStub'] });
});

test('a result that breaks its schema fails naming the field', async (t) => {
  const router = routerClient(await connectStub(t));
  const error = await router.ackMessages({ ids: ['malformed'] }).catch((e: unknown) => e);
  assert.ok(error instanceof MalformedResultError, String(error));
  assert.equal(error.kind, 'internal');
  assert.equal(error.code, 'malformed_result');
  assert.equal(error.field, 'structuredContent.unknown');
  assert.equal(error.tool, 'ack_messages');
  assert.match(
    error.message,
    /^router ack_messages answered with a malformed result: structuredContent\.unknown: /,
  );
});

test('a tool error keeps its code, hint, field and kind; the prefix names the tool', async (t) => {
  const router = routerClient(await connectStub(t), { prefix: 'prefixed__' });
  const error = await router.ackMessages({ ids: [ID] }).catch((e: unknown) => e);
  assert.ok(error instanceof ToolError, String(error));
  assert.ok(error instanceof PlexusError);
  assert.deepEqual(
    { kind: error.kind, code: error.code, hint: error.hint, field: error.field, tool: error.tool },
    {
      kind: 'conflict',
      code: 'already_acked',
      hint: 'fetch again',
      field: 'ids.0',
      tool: 'prefixed__ack_messages',
    },
  );
  assert.equal(error.message, 'ids.0: acked before');
});

test('a tool error without a kind is internal; bad input and unknown tools keep theirs', async (t) => {
  const client = await connectStub(t);
  const kindless = await routerClient(client)
    .ackMessages({ ids: ['kindless'] })
    .catch((e: unknown) => e);
  assert.ok(kindless instanceof ToolError);
  assert.deepEqual([kindless.kind, kindless.code, kindless.hint], ['internal', 'upstream_down', 'wait']);

  const badInput = await routerClient(client)
    .ackMessages({ ids: [] })
    .catch((e: unknown) => e);
  assert.ok(badInput instanceof ToolError);
  assert.deepEqual([badInput.kind, badInput.code, badInput.field], ['invalid', 'invalid_params', 'ids']);

  const unknown = await routerClient(client, { prefix: 'nowhere__' })
    .ackMessages({ ids: [ID] })
    .catch((e: unknown) => e);
  assert.ok(unknown instanceof ToolError);
  assert.deepEqual([unknown.kind, unknown.code], ['not_found', 'unknown_tool']);
});

test('a delegate acts for the caller it names', async (t) => {
  const client = await connectStub(t, 'service:hub', [DELEGATE_SCOPE, 'read']);
  const caller = { subject: 'did:key:z6MkAlice', scopes: ['read'] };
  const answer = await routerClient(client).ackMessages({ ids: [ID] }, { caller });
  assert.deepEqual(answer.unknown, ['did:key:z6MkAlice']);
});

test('a closed connection or a timeout is unreachable; an abort by the caller stays an abort', async (t) => {
  const client = await connectStub(t);
  const router = routerClient(client);
  const timedOut = await router.ackMessages({ ids: ['never'] }, { timeout: 1 }).catch((e: unknown) => e);
  assert.ok(timedOut instanceof UnreachableError, String(timedOut));
  assert.deepEqual([timedOut.kind, timedOut.code], ['unavailable', 'server_unreachable']);

  const controller = new AbortController();
  const pending = router.ackMessages({ ids: ['never'] }, { signal: controller.signal });
  controller.abort(new Error('the caller gave up'));
  const aborted = await pending.catch((e: unknown) => e);
  assert.ok(!(aborted instanceof PlexusError), String(aborted));

  await client.close();
  const closed = await router.ackMessages({ ids: [ID] }).catch((e: unknown) => e);
  assert.ok(closed instanceof UnreachableError, String(closed));
  assert.equal(closed.kind, 'unavailable');
});

test('over HTTP: a refused token is unauthorized, a server that went away is unreachable', async (t) => {
  const tokens = new Set(['good']);
  const served = await serveHttp(
    { createServer: stubRouter, close: () => Promise.resolve() },
    {
      verifyToken: (token) =>
        tokens.has(token)
          ? Promise.resolve(authInfoFor('did:key:z6MkHttp', ['read'], token))
          : Promise.reject(new Error('unknown token')),
      log: silentLogger,
    },
  );
  let stopped = false;
  t.after(() => (stopped ? undefined : served.close()));
  const client = new Client(
    { name: 'test', version: '1' },
    { versionNegotiation: { mode: { pin: '2026-07-28' } } },
  );
  await client.connect(
    new StreamableHTTPClientTransport(new URL(served.url), {
      requestInit: { headers: { Authorization: 'Bearer good' } },
    }),
  );
  t.after(() => client.close());
  const router = routerClient(client);
  assert.deepEqual((await router.ackMessages({ ids: [ID] })).unknown, ['did:key:z6MkHttp']);

  tokens.delete('good');
  const refused = await router.ackMessages({ ids: [ID] }).catch((e: unknown) => e);
  assert.ok(refused instanceof ToolError, String(refused));
  assert.equal(refused.kind, 'unauthorized');

  stopped = true;
  await served.close();
  const gone = await router.ackMessages({ ids: [ID] }).catch((e: unknown) => e);
  assert.ok(gone instanceof UnreachableError, String(gone));
  assert.equal(gone.kind, 'unavailable');
});

test('a leased caller borrows a client for each call, as the hub does from its upstream pool', async (t) => {
  const client = await connectStub(t);
  let leases = 0;
  const router = routerClient(
    leasedCaller((use) => {
      leases++;
      return use(client);
    }),
  );
  assert.deepEqual((await router.ackMessages({ ids: [ID] })).acked, [ID]);
  const malformed = await router.ackMessages({ ids: ['malformed'] }).catch((e: unknown) => e);
  assert.ok(malformed instanceof MalformedResultError);
  assert.equal(leases, 2);

  // A pool that knows why it cannot lend a client says so, and that is what the caller gets.
  const busy = new PlexusError('unavailable', 'upstream_down', 'the router is restarting');
  const refused = await routerClient(leasedCaller(() => Promise.reject(busy)))
    .ackMessages({ ids: [ID] })
    .catch((e: unknown) => e);
  assert.equal(refused, busy);
});
