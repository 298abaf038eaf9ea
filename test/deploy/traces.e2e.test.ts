import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { test } from 'node:test';
import { context, SpanKind, trace } from '@opentelemetry/api';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { traceFields } from '../../lib/telemetry/mcp-spans.ts';
import { startTracing } from '../../lib/telemetry/tracing.ts';
import { launch, stop } from '../helpers/plexus-process.ts';
import { freePort } from '../helpers/ports.ts';
import { connectClient, startTestHub } from '../hub/helpers.ts';

/**
 * One tool call followed across processes: the test's client span → the hub (in this process, spans in an
 * in-memory exporter) → `plexus serve memory` as its own process, which exports over OTLP/HTTP to a
 * receiver here → that server's store statements. Trace context travels in `_meta` (traceparent) from hub
 * to server, and in the `traceparent` header from a client to the hub.
 */

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: { key: string; value: { stringValue?: string } }[];
  service: string;
}

/** OTLP/JSON ids are hex; some encoders send base64 (the protobuf JSON mapping): both read as hex. */
function hexId(id: string, bytes: number): string {
  return id.length === bytes * 2 && /^[0-9a-f]+$/i.test(id)
    ? id.toLowerCase()
    : Buffer.from(id, 'base64').toString('hex');
}

/** An OTLP/HTTP trace receiver (JSON), collecting every span with its service name. */
async function otlpReceiver() {
  const spans: OtlpSpan[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      let body = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
      const payload = JSON.parse(body.toString('utf8')) as {
        resourceSpans: {
          resource: { attributes: OtlpSpan['attributes'] };
          scopeSpans: { spans: Omit<OtlpSpan, 'service'>[] }[];
        }[];
      };
      for (const resource of payload.resourceSpans) {
        const service =
          resource.resource.attributes.find((a) => a.key === 'service.name')?.value.stringValue ?? '';
        for (const scope of resource.scopeSpans)
          for (const span of scope.spans)
            spans.push({
              ...span,
              traceId: hexId(span.traceId, 16),
              spanId: hexId(span.spanId, 8),
              ...(span.parentSpanId ? { parentSpanId: hexId(span.parentSpanId, 8) } : {}),
              service,
            });
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    spans,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const SERVICE_TOKEN = 'dHJhY2VzLXRlc3Qtc2VydmljZS10b2tlbi1mb3ItcGxleHVz';

test(
  'one tool call is one trace: client → hub → plexus serve memory (its own process) → its store',
  {
    timeout: 180_000,
  },
  async (t) => {
    const exporter = new InMemorySpanExporter();
    const tracing = startTracing({ serviceName: 'plexus-hub', env: {}, exporter });
    assert.ok(tracing);
    t.after(() => tracing.shutdown());
    const receiver = await otlpReceiver();
    t.after(() => receiver.close());

    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'plexus-traces-'));
    t.after(() => fs.rmSync(root, { recursive: true, force: true }));
    const port = await freePort();
    const memory = launch(
      ['serve', 'memory', '--port', String(port), '--data', path.join(root, 'memory')],
      { PLEXUS_SERVICE_TOKEN: SERVICE_TOKEN, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url },
      root,
    );
    t.after(() => stop(memory));
    await memory.waitForStderr(/^plexus serve memory: http:\/\//);

    const hub = await startTestHub(t, {
      auth: { enabled: false },
      serviceToken: SERVICE_TOKEN,
      servers: { memory: { url: `http://127.0.0.1:${port}/mcp` } },
    });

    // The client's own span, named as parent in `_meta` as MCP 2026-07-28 carries it.
    const client = await connectClient(t, hub.mcpUrl, { era: 'modern' });
    const clientSpan = trace.getTracer('test').startSpan('agent asks', { kind: SpanKind.CLIENT });
    const meta = traceFields(trace.setSpan(context.active(), clientSpan));
    assert.match(meta['traceparent'] ?? '', /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    const result = await client.callTool({ name: 'memory__read_graph', arguments: {}, _meta: meta });
    clientSpan.end();
    assert.notEqual(result.isError, true, JSON.stringify(result.content));

    const traceId = clientSpan.spanContext().traceId;
    const local = exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId);
    const byName = (name: string, kind: SpanKind): ReadableSpan => {
      const span = local.find((s) => s.name === name && s.kind === kind);
      assert.ok(span, `no ${SpanKind[kind]} span '${name}' in ${local.map((s) => s.name).join(', ')}`);
      return span;
    };
    const received = byName('tools/call memory__read_graph', SpanKind.SERVER);
    assert.equal(received.parentSpanContext?.spanId, clientSpan.spanContext().spanId);
    assert.equal(received.attributes['gen_ai.tool.name'], 'read_graph');
    assert.equal(received.attributes['plexus.server'], 'memory');
    const upstream = byName('tools/call read_graph', SpanKind.CLIENT);
    assert.equal(upstream.parentSpanContext?.spanId, received.spanContext().spanId);

    // The server process exports when it stops (its processor flushes on shutdown).
    await stop(memory);
    assert.equal(memory.child.exitCode, 0);
    const remote = receiver.spans.filter((s) => s.traceId === traceId);
    assert.ok(
      remote.length > 0,
      `the memory process exported nothing for the trace (${receiver.spans.length} spans)`,
    );
    for (const span of remote) assert.equal(span.service, 'plexus-memory');
    const served = remote.find((s) => s.name === 'tools/call read_graph' && s.kind === 2 /* SERVER */);
    assert.ok(served, `spans: ${remote.map((s) => s.name).join(', ')}`);
    assert.equal(
      served.parentSpanId,
      upstream.spanContext().spanId,
      'the hub span is the server span parent',
    );
    // The store's statements, under the server span.
    const parents = new Map(remote.map((s) => [s.spanId, s.parentSpanId]));
    const under = (span: OtlpSpan): boolean => {
      for (let id = span.parentSpanId; id; id = parents.get(id)) if (id === served.spanId) return true;
      return false;
    };
    const statements = remote.filter((s) => s.attributes.some((a) => a.key === 'db.system.name'));
    assert.ok(statements.length > 0, `no store spans: ${remote.map((s) => s.name).join(', ')}`);
    for (const statement of statements) {
      assert.ok(under(statement), `${statement.name} is not under the server span`);
      assert.match(
        statement.attributes.find((a) => a.key === 'db.query.text')?.value.stringValue ?? '',
        /^\s*SELECT/i,
      );
    }
  },
);

test('a client that sends only the traceparent header gets the hub span as a child of its own', async (t) => {
  const exporter = new InMemorySpanExporter();
  const tracing = startTracing({ serviceName: 'plexus-hub', env: {}, exporter });
  assert.ok(tracing);
  t.after(() => tracing.shutdown());
  const hub = await startTestHub(t, { auth: { enabled: false } }, { catalogDefaults: true });

  const parent = trace.getTracer('test').startSpan('browser asks', { kind: SpanKind.CLIENT });
  const headers = traceFields(trace.setSpan(context.active(), parent));
  const client = new Client(
    { name: 'traces-test', version: '1.0.0' },
    { versionNegotiation: { mode: { pin: '2026-07-28' } } },
  );
  await client.connect(new StreamableHTTPClientTransport(new URL(hub.mcpUrl), { requestInit: { headers } }));
  t.after(() => client.close());
  await client.callTool({ name: 'identity__get_jwks', arguments: {} });
  parent.end();

  const traceId = parent.spanContext().traceId;
  const spans = exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId);
  const received = spans.find(
    (s) => s.name === 'tools/call identity__get_jwks' && s.kind === SpanKind.SERVER,
  );
  assert.ok(received, `spans: ${spans.map((s) => s.name).join(', ')}`);
  assert.equal(received.parentSpanContext?.spanId, parent.spanContext().spanId);
  // In-process upstreams are traced the same way: identity's own span is under the hub's upstream call.
  const upstream = spans.find((s) => s.name === 'tools/call get_jwks' && s.kind === SpanKind.CLIENT);
  const served = spans.find((s) => s.name === 'tools/call get_jwks' && s.kind === SpanKind.SERVER);
  assert.ok(upstream && served);
  assert.equal(served.parentSpanContext?.spanId, upstream.spanContext().spanId);
});
