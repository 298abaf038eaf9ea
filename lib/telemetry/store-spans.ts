import { SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';

/**
 * Spans for store statements (OpenTelemetry database conventions): the statement text (parameterized: no
 * values), the database system and the store's name. Wraps the drivers once, where stores open them.
 */
const tracer = () => trace.getTracer('plexus');

function operation(sql: string): string {
  return /^\s*(\w+)/.exec(sql)?.[1]?.toUpperCase() ?? 'QUERY';
}

function start(system: 'sqlite' | 'postgresql', namespace: string, sql: string): Span {
  return tracer().startSpan(`${operation(sql)} ${namespace}`, {
    kind: SpanKind.CLIENT,
    attributes: { 'db.system.name': system, 'db.namespace': namespace, 'db.query.text': sql },
  });
}

function failed(span: Span, error: unknown): never {
  span.recordException(error as Error);
  span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
  throw error;
}

/** Runs a synchronous statement (better-sqlite3) in a span. */
export function tracedSync<T>(namespace: string, sql: string, run: () => T): T {
  const span = start('sqlite', namespace, sql);
  try {
    return run();
  } catch (error) {
    return failed(span, error);
  } finally {
    span.end();
  }
}

/** Runs an asynchronous statement (pg) in a span. */
export async function tracedAsync<T>(namespace: string, sql: string, run: () => Promise<T>): Promise<T> {
  const span = start('postgresql', namespace, sql);
  try {
    return await run();
  } catch (error) {
    return failed(span, error);
  } finally {
    span.end();
  }
}

type Statement = Record<'run' | 'get' | 'all' | 'iterate', (...args: unknown[]) => unknown>;

/** Every statement `db.prepare` makes runs in a span (the database named by `namespace`). */
export function traceSqlite<D extends { prepare(sql: string): unknown }>(db: D, namespace: string): D {
  const prepare = db.prepare.bind(db);
  db.prepare = (sql: string) => {
    const statement = prepare(sql) as Statement;
    for (const method of ['run', 'get', 'all', 'iterate'] as const) {
      const original = statement[method].bind(statement);
      statement[method] = (...args) => tracedSync(namespace, sql, () => original(...args));
    }
    return statement;
  };
  return db;
}

interface QueryClient {
  query: (...args: never[]) => unknown;
}

/**
 * Every promise-style query of a pg pool or client runs in a span. The pool's own `query` calls its client
 * callback-style, which passes through here untraced: a statement gets one span either way.
 */
export function tracePgQueries(client: QueryClient, namespace: string): void {
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  client.query = (...args: unknown[]) => {
    const first = args[0];
    const sql = typeof first === 'string' ? first : ((first as { text?: string } | null)?.text ?? '');
    // Callback-style and stream (Submittable) queries are passed through as they are.
    if (typeof args.at(-1) === 'function' || typeof (first as { submit?: unknown })?.submit === 'function')
      return query(...args);
    return tracedAsync(namespace, sql, () => query(...args) as Promise<unknown>);
  };
}
