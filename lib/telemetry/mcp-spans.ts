import {
  context,
  propagation,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Span,
} from '@opentelemetry/api';

/**
 * Spans around MCP requests, with W3C trace context carried as MCP 2026-07-28 specifies: `traceparent`,
 * `tracestate` (and `baggage`) keys in a request's `_meta`, and the same as HTTP headers. Without a tracer
 * provider (tracing off) these are the API's no-ops.
 */

/** The `_meta` and header names of W3C Trace Context and Baggage. */
export const TRACE_KEYS = ['traceparent', 'tracestate', 'baggage'] as const;

const tracer = () => trace.getTracer('plexus');

/** The trace context a carrier (a request's `_meta`, or HTTP headers) holds, over the active one. */
export function contextFrom(
  carrier: Record<string, unknown> | undefined,
  base: Context = context.active(),
): Context {
  if (!carrier) return base;
  const fields: Record<string, string> = {};
  for (const key of TRACE_KEYS) {
    const value = carrier[key];
    if (typeof value === 'string') fields[key] = value;
  }
  return fields['traceparent'] ? propagation.extract(base, fields) : base;
}

/** The active trace context as carrier fields (`traceparent`, `tracestate`, `baggage` when set). */
export function traceFields(ctx: Context = context.active()): Record<string, string> {
  const fields: Record<string, string> = {};
  propagation.inject(ctx, fields);
  return fields;
}

async function inSpan<T>(
  name: string,
  kind: SpanKind,
  attributes: Attributes,
  parent: Context,
  run: (span: Span) => Promise<T>,
): Promise<T> {
  const span = tracer().startSpan(name, { kind, attributes }, parent);
  try {
    return await context.with(trace.setSpan(parent, span), () => run(span));
  } catch (error) {
    span.recordException(error as Error);
    span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
    throw error;
  } finally {
    span.end();
  }
}

/** An MCP request as received: a SERVER span, child of the context in its `_meta` or else the active one. */
export function inServerSpan<T>(
  name: string,
  attributes: Attributes,
  meta: Record<string, unknown> | undefined,
  run: (span: Span) => Promise<T>,
): Promise<T> {
  return inSpan(name, SpanKind.SERVER, attributes, contextFrom(meta), run);
}

/** An MCP request as sent: a CLIENT span; `run` gets the `_meta` trace fields naming it as parent. */
export function inClientSpan<T>(
  name: string,
  attributes: Attributes,
  run: (meta: Record<string, string>, span: Span) => Promise<T>,
): Promise<T> {
  return inSpan(name, SpanKind.CLIENT, attributes, context.active(), (span) => run(traceFields(), span));
}

/** A tool result that reports failure (`isError`) marks its span as failed, naming the error code. */
export function markToolError(span: Span, result: unknown): void {
  if ((result as { isError?: unknown } | null)?.isError !== true) return;
  span.setStatus({ code: SpanStatusCode.ERROR, message: 'tool error' });
}

/** `fetch` that sends the active trace context as HTTP headers with every request. */
export function tracingFetch(base: typeof fetch = fetch): typeof fetch {
  return (input, init) => {
    const fields = traceFields();
    if (Object.keys(fields).length === 0) return base(input, init);
    const headers = new Headers(init?.headers);
    for (const [key, value] of Object.entries(fields)) headers.set(key, value);
    return base(input, { ...init, headers });
  };
}
