import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  SimpleSpanProcessor,
  TracerProvider,
  type SpanExporter,
} from '@opentelemetry/sdk-trace';

/**
 * OpenTelemetry tracing for one process. Off unless an OTLP endpoint is configured with the standard
 * variables (`OTEL_EXPORTER_OTLP_ENDPOINT` or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, read by the exporter
 * itself with `OTEL_EXPORTER_OTLP_HEADERS` and the rest), or an exporter is handed in; without it every span
 * call is the API's no-op. `OTEL_SERVICE_NAME` names the process (default: the name given here).
 */
export interface Tracing {
  /** Exports what is pending and stops. */
  shutdown(): Promise<void>;
}

type Env = Readonly<Record<string, string | undefined>>;

let active = false;

/** Whether this process traces: stores wrap their drivers only then, so untraced processes pay nothing. */
export function isTracing(): boolean {
  return active;
}

export function otlpConfigured(env: Env): boolean {
  return Boolean(env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'] || env['OTEL_EXPORTER_OTLP_ENDPOINT']);
}

export function startTracing(options: {
  serviceName: string;
  env: Env;
  /** An exporter of the caller's (tests: in memory), spans handed over as each ends. */
  exporter?: SpanExporter;
}): Tracing | null {
  const { env } = options;
  if (!options.exporter && !otlpConfigured(env)) return null;
  if (env['OTEL_SDK_DISABLED'] === 'true') return null;
  const processor = options.exporter
    ? new SimpleSpanProcessor({ exporter: options.exporter })
    : new BatchSpanProcessor({ exporter: new OTLPTraceExporter() });
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': env['OTEL_SERVICE_NAME'] || options.serviceName }),
    spanProcessors: [processor],
  });
  const contextManager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(contextManager);
  propagation.setGlobalPropagator(
    new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }),
  );
  trace.setGlobalTracerProvider(provider);
  active = true;
  return {
    async shutdown() {
      active = false;
      await provider.shutdown();
      trace.disable();
      propagation.disable();
      context.disable();
    },
  };
}
