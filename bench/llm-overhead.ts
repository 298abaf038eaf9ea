// Router overhead for `npm run bench`: the same chat against the same fixture Ollama server, called
// directly with the `ollama` package, through the LlmRouter, and through the `chat` MCP tool over an
// in-process SDK client, with the typed client other Plexus parts use. bench/suites/llm.ts runs it with the
// goals.
import { Ollama } from 'ollama';
import { latencies, quantile } from './harness.ts';
import { llmClient } from '../lib/clients/llm.ts';
import { silentLogger } from '../lib/log.ts';
import { authInfoFor, connectInProcess } from '../lib/mcp/in-process.ts';
import { LlmSettings } from '../schemas/llm/settings.ts';
import { startOllamaServer } from '../test/fixtures/ollama-server.ts';
import { pullTasks } from '../servers/llm/component.ts';
import { HealthMonitor } from '../servers/llm/domain/health.ts';
import { OllamaManager } from '../servers/llm/domain/ollama-manager.ts';
import { LlmRouter } from '../servers/llm/domain/router.ts';
import { buildServer } from '../servers/llm/server.ts';

export interface Percentiles {
  p50: number;
  p99: number;
}

export interface OverheadResult {
  calls: number;
  /** Milliseconds per call. */
  direct: Percentiles;
  router: Percentiles;
  tool: Percentiles;
  samples: { direct: number[]; router: number[]; tool: number[] };
}

const MESSAGES = [{ role: 'user' as const, content: 'ping' }];

/** Measures `calls` sequential chats on each path (after `warmup` unmeasured ones). */
export async function measureRouterOverhead(
  options: { calls?: number; warmup?: number } = {},
): Promise<OverheadResult> {
  const calls = options.calls ?? 500;
  const warmup = options.warmup ?? 50;
  const fixture = await startOllamaServer({ models: [{ name: 'bench' }] });
  fixture.script.chat.always({ content: 'pong', promptTokens: 1, completionTokens: 1 });
  const settings = LlmSettings.parse({ ollama_host: fixture.url, default_models: { chat: 'bench' } });
  const router = new LlmRouter({ settings, log: silentLogger });
  const server = buildServer({
    router,
    health: new HealthMonitor(router, silentLogger, Date.now),
    manager: new OllamaManager(router.table),
    tasks: pullTasks(settings, { now: Date.now, log: silentLogger }),
    log: silentLogger,
    now: Date.now,
  });
  const client = await connectInProcess(server, { authInfo: authInfoFor('operator:bench', ['read']) });
  try {
    const direct = async () => {
      const stream = await new Ollama({ host: fixture.url }).chat({
        model: 'bench',
        messages: MESSAGES,
        stream: true,
      });
      for await (const part of stream) void part;
    };
    const viaRouter = () => router.chat({ params: { messages: MESSAGES } });
    const llm = llmClient(client);
    const viaTool = () => llm.chat({ messages: MESSAGES });
    const paths = Object.entries({ direct, router: viaRouter, tool: viaTool }) as Array<
      [keyof OverheadResult['samples'], () => Promise<unknown>]
    >;
    const samples = { direct: [] as number[], router: [] as number[], tool: [] as number[] };
    for (const [, op] of paths) await latencies(warmup, op);
    // Interleaved, so load from the rest of the machine falls on every path alike.
    for (let i = 0; i < calls; i++) {
      for (const [name, op] of paths) samples[name].push(...(await latencies(1, op)));
    }
    const pct = (s: number[]): Percentiles => ({ p50: quantile(s, 0.5), p99: quantile(s, 0.99) });
    return {
      calls,
      direct: pct(samples.direct),
      router: pct(samples.router),
      tool: pct(samples.tool),
      samples,
    };
  } finally {
    await client.close();
    await fixture.close();
  }
}
