import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { PlexusError } from '../../../lib/errors.ts';
import { silentLogger } from '../../../lib/log.ts';
import { LlmSettings, type LlmSettingsInput } from '../../../schemas/llm/settings.ts';
import {
  startOllamaServer,
  type FixtureModel,
  type OllamaFixture,
} from '../../../test/fixtures/ollama-server.ts';
import { startOpenAiServer } from '../../../test/fixtures/openai-server.ts';
import { LlmRouter } from './router.ts';

const hi = { messages: [{ role: 'user' as const, content: 'hi' }] };

async function ollama(t: TestContext, models: FixtureModel[] = [{ name: 'm' }]): Promise<OllamaFixture> {
  const server = await startOllamaServer({ models });
  t.after(() => server.close());
  return server;
}

function router(settings: LlmSettingsInput, clock: { now: number } = { now: 1_000_000 }) {
  const sleeps: number[] = [];
  const r = new LlmRouter({
    settings: LlmSettings.parse(settings),
    log: silentLogger,
    now: () => clock.now,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: () => 0.5,
  });
  return { router: r, sleeps };
}

const dep = (id: string, url: string, extra: Record<string, unknown> = {}) => ({
  id,
  backend: 'ollama' as const,
  url,
  model: 'm',
  ...extra,
});

async function failure(promise: Promise<unknown>): Promise<PlexusError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof PlexusError) return error;
    throw error;
  }
  throw new Error('expected a PlexusError');
}

test('priority: falls back through the group in order, then through fallback groups', async (t) => {
  const [a, b, c] = [await ollama(t), await ollama(t), await ollama(t)];
  a.script.chat.enqueue({ status: 503, error: 'overloaded' });
  b.script.chat.enqueue({ status: 500, error: 'boom' });
  c.script.chat.enqueue({ content: 'from c' });
  const { router: r, sleeps } = router({
    deployments: [dep('a', a.url), dep('b', b.url), dep('c', c.url)],
    groups: { main: { deployments: ['a', 'b'], fallbacks: ['backup'] }, backup: { deployments: ['c'] } },
    tasks: { chat: 'main' },
  });
  const out = await r.chat({ params: hi });
  assert.equal(out.content, 'from c');
  assert.equal(out.deployment, 'c');
  assert.deepEqual(
    out.attempts.map((x) => [x.deployment, x.ok, x.failure]),
    [
      ['a', false, 'overloaded'],
      ['b', false, 'overloaded'],
      ['c', true, undefined],
    ],
  );
  assert.deepEqual(sleeps, [], 'falling back needs no wait');

  // When the first answers, the others are not asked.
  const again = await r.chat({ params: hi });
  assert.equal(again.deployment, 'a');
  assert.equal(b.requestsTo('/api/chat').length, 1);
});

test('retries honour Retry-After; a Retry-After beyond the cap is reported instead of waited', async (t) => {
  const a = await ollama(t);
  const { router: r, sleeps } = router({
    deployments: [dep('a', a.url)],
    retries: { max_retries: 2, base_delay_ms: 100 },
  });
  a.script.chat.enqueue(
    { status: 429, error: 'slow down', retryAfter: 2 },
    { status: 503 },
    { content: 'ok' },
  );
  const out = await r.chat({ params: hi });
  assert.equal(out.content, 'ok');
  assert.equal(sleeps.length, 2);
  assert.ok(sleeps[0]! >= 2000, `waited ${sleeps[0]} ms, Retry-After said 2 s`);
  assert.ok(sleeps[1]! >= 100 && sleeps[1]! <= 200, `second wait is plain backoff (${sleeps[1]} ms)`);

  sleeps.length = 0;
  a.script.chat.enqueue({ status: 429, error: 'come back tomorrow', retryAfter: 86_400 });
  const error = await failure(r.chat({ params: hi }));
  assert.equal(error.code, 'rate_limited');
  assert.match(error.hint ?? '', /retry after 86400 s/);
  assert.deepEqual(sleeps, []);
});

test('an OpenAI-compatible 429 with Retry-After moves on to the next deployment at once', async (t) => {
  const openai = await startOpenAiServer();
  t.after(() => openai.close());
  const b = await ollama(t);
  openai.script.chat.enqueue({ status: 429, error: 'rate limit', retryAfter: 1 });
  const { router: r, sleeps } = router({
    deployments: [{ id: 'oa', backend: 'openai', url: openai.url, model: 'gpt-fixture' }, dep('b', b.url)],
  });
  const out = await r.chat({ params: hi });
  assert.equal(out.deployment, 'b');
  assert.equal(out.attempts[0]?.failure, 'rate_limited');
  assert.deepEqual(sleeps, []);
  assert.equal(r.state('oa').lastError?.failure, 'rate_limited');
});

test('cooldown: 3 failures in a minute cool a deployment for 5 s, then it is tried again', async (t) => {
  const [a, b] = [await ollama(t), await ollama(t)];
  const clock = { now: 1_000_000 };
  const { router: r } = router({ deployments: [dep('a', a.url), dep('b', b.url)] }, clock);
  a.script.chat.always({ status: 503, error: 'down' });
  for (let i = 0; i < 3; i++) assert.equal((await r.chat({ params: hi })).deployment, 'b');
  assert.equal(r.state('a').cooldownUntil, clock.now + 5000);

  await r.chat({ params: hi });
  assert.equal(a.requestsTo('/api/chat').length, 3, 'a cooling deployment is skipped');

  a.script.chat.always({ content: 'a is back' });
  clock.now += 4999;
  assert.equal((await r.chat({ params: hi })).deployment, 'b');
  clock.now += 2;
  const out = await r.chat({ params: hi });
  assert.equal(out.deployment, 'a');
  assert.equal(out.content, 'a is back');
});

test('cooldown never applies to the only deployment of a request', async (t) => {
  const a = await ollama(t);
  const { router: r } = router({ deployments: [dep('a', a.url)], retries: { max_retries: 0 } });
  a.script.chat.always({ status: 503 });
  for (let i = 0; i < 5; i++) await failure(r.chat({ params: hi }));
  assert.equal(r.state('a').cooldownUntil, 0);
  a.script.chat.always({ content: 'fine' });
  assert.equal((await r.chat({ params: hi })).content, 'fine');
});

test('every candidate cooling down is reported with when to retry', async (t) => {
  const [a, b] = [await ollama(t), await ollama(t)];
  const clock = { now: 5_000_000 };
  const { router: r } = router(
    { deployments: [dep('a', a.url), dep('b', b.url)], retries: { max_retries: 0 } },
    clock,
  );
  a.script.chat.always({ status: 503 });
  b.script.chat.always({ status: 503 });
  for (let i = 0; i < 3; i++) await failure(r.chat({ params: hi }));
  const error = await failure(r.chat({ params: hi }));
  assert.equal(error.code, 'cooling_down');
  assert.match(error.hint ?? '', /retry in 5000 ms/);
});

test('a hanging deployment times out and the next one answers; the hung request is aborted', async (t) => {
  const [a, b] = [await ollama(t), await ollama(t)];
  a.script.chat.enqueue({ hang: true });
  // The timeout is a's own, so a slow answer from b on a loaded machine cannot time out too. It leaves the
  // request time to reach a (at 50 ms, on a loaded machine, it was sometimes cut off before a had seen it).
  const { router: r } = router({ deployments: [dep('a', a.url, { timeout_ms: 1_000 }), dep('b', b.url)] });
  const out = await r.chat({ params: hi });
  assert.equal(out.deployment, 'b');
  assert.equal(out.attempts[0]?.failure, 'timeout');
  assert.match(out.attempts[0]?.message ?? '', /no answer within 1000 ms/);
  const [hung] = a.requestsTo('/api/chat');
  await hung?.closed;
  assert.equal(hung?.aborted, true);
});

test('a deployment timing out mid-stream counts as a timeout too', async (t) => {
  const a = await ollama(t);
  a.script.chat.enqueue({ chunks: ['a', 'b', 'c'], chunkDelayMs: 200 });
  const { router: r } = router({
    deployments: [dep('a', a.url, { timeout_ms: 60 })],
    retries: { max_retries: 0 },
  });
  const error = await failure(r.chat({ params: hi }));
  assert.equal(error.code, 'timeout');
});

test('a context-window overflow falls back to the smallest larger-context deployment, even outside the group', async (t) => {
  const server = await ollama(t, [
    { name: 'small', contextLength: 50 },
    { name: 'medium', contextLength: 500 },
    { name: 'large', contextLength: 5000 },
  ]);
  const { router: r } = router({
    deployments: [
      dep('small', server.url, { model: 'small', context_window: 50 }),
      dep('large', server.url, { model: 'large', context_window: 5000 }),
      dep('medium', server.url, { model: 'medium', context_window: 500 }),
    ],
    groups: { chat: { deployments: ['small'] }, big: { deployments: ['large', 'medium'] } },
  });
  const long = { messages: [{ role: 'user' as const, content: 'x'.repeat(1000) }] };
  const out = await r.chat({ params: long });
  assert.equal(out.deployment, 'medium');
  assert.deepEqual(
    out.attempts.map((a) => [a.deployment, a.failure]),
    [
      ['small', 'context_window'],
      ['medium', undefined],
    ],
  );
  assert.equal(r.state('small').cooldownUntil, 0, 'an overflow is not the deployment failing');

  const huge = { messages: [{ role: 'user' as const, content: 'x'.repeat(40_000) }] };
  const error = await failure(r.chat({ params: huge }));
  assert.equal(error.code, 'context_window_exceeded');
});

test('least-busy sends a request to the deployment with fewer requests in flight', async (t) => {
  const [a, b] = [await ollama(t), await ollama(t)];
  const gate = Promise.withResolvers<void>();
  a.script.chat.enqueue(async () => {
    await gate.promise;
    return { content: 'slow a' };
  });
  const { router: r } = router({ deployments: [dep('a', a.url), dep('b', b.url)], strategy: 'least-busy' });
  const first = r.chat({ params: hi });
  await a.waitForRequests('/api/chat', 1);
  assert.equal(r.state('a').inFlight, 1);
  const second = await r.chat({ params: hi });
  assert.equal(second.deployment, 'b', 'a is busy');
  gate.resolve();
  assert.equal((await first).deployment, 'a');
  assert.equal((await r.chat({ params: hi })).deployment, 'a', 'tie: configured order');
});

test('lowest-latency measures each deployment once, then prefers the lowest time to first token', async (t) => {
  const [slow, fast] = [await ollama(t), await ollama(t)];
  // A second apart: a busy machine's jitter must not reorder them.
  slow.script.chat.always({ content: 'slow', delayMs: 1000 });
  fast.script.chat.always({ content: 'fast', delayMs: 1 });
  const { router: r } = router({
    deployments: [dep('slow', slow.url), dep('fast', fast.url)],
    strategy: 'lowest-latency',
  });
  const picks: string[] = [];
  for (let i = 0; i < 4; i++) picks.push((await r.chat({ params: hi })).deployment);
  assert.deepEqual(picks, ['slow', 'fast', 'fast', 'fast']);
  assert.ok((r.state('slow').ttftMs ?? 0) > (r.state('fast').ttftMs ?? Infinity));
});

test('embeddings are batched, and every batch of one call goes to one deployment', async (t) => {
  const server = await ollama(t, [{ name: 'emb', embeddingLength: 16 }]);
  const { router: r } = router({ deployments: [dep('e', server.url, { model: 'emb', kinds: ['embed'] })] });
  const texts = Array.from({ length: 130 }, (_, i) => `text ${i}`);
  const out = await r.embed({ texts });
  assert.equal(out.vectors.length, 130);
  assert.equal(out.vectors[0]?.length, 16);
  assert.deepEqual(
    server.requestsTo('/api/embed').map((q) => (q.body as { input: string[] }).input.length),
    [64, 64, 2],
  );
});

test('a caller cancel stops the request without cooling or retrying', async (t) => {
  const [a, b] = [await ollama(t), await ollama(t)];
  a.script.chat.enqueue({ hang: true });
  const { router: r } = router({ deployments: [dep('a', a.url), dep('b', b.url)] });
  const controller = new AbortController();
  const pending = r.chat({ params: hi, signal: controller.signal });
  await a.waitForRequests('/api/chat', 1);
  controller.abort();
  const error = await failure(pending);
  assert.equal(error.code, 'canceled');
  assert.equal(b.requestsTo('/api/chat').length, 0);
  assert.equal(r.state('a').failures, 0);
});
