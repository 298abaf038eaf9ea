import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { PlexusError } from '../../lib/errors.ts';
import { explicitCalls } from './explicit.ts';
import { loadLoopSettings, roleFor, toolPolicy } from './settings.ts';

function dirWith(t: { after(fn: () => void): void }, loop?: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plexus-loop-settings-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  if (loop !== undefined) fs.writeFileSync(path.join(dir, 'loop.json'), loop);
  return dir;
}

test('loop.json: defaults when absent, errors name the field', (t) => {
  const defaults = loadLoopSettings(dirWith(t));
  assert.equal(defaults.maxSteps, 8);
  assert.equal(defaults.timeBudgetMs, 120_000);
  assert.throws(
    () => loadLoopSettings(dirWith(t, JSON.stringify({ maxSteps: 0 }))),
    (error: unknown) =>
      error instanceof PlexusError && error.code === 'config_invalid' && /maxSteps/.test(error.message),
  );
  assert.throws(
    () => loadLoopSettings(dirWith(t, JSON.stringify({ roles: { ops: { prompt: 'x', tools: ['a b'] } } }))),
    (error: unknown) => error instanceof PlexusError && /roles\.ops\.tools/.test(error.message),
  );
  assert.throws(() => loadLoopSettings(dirWith(t, '{nope')), /loop\.json/);
});

test('roles: allow-lists with wildcards, denied plumbing, unknown roles fall back to assistant', (t) => {
  const settings = loadLoopSettings(
    dirWith(
      t,
      JSON.stringify({ roles: { reader: { prompt: 'Read.', tools: ['filesystem__read_*', 'hub__*'] } } }),
    ),
  );
  const reader = toolPolicy(roleFor(settings, 'reader'));
  assert.equal(reader('filesystem__read_text_file'), true);
  assert.equal(reader('filesystem__write_file'), false);
  assert.equal(reader('hub__registry__find_agents'), true);
  assert.equal(reader('hub__llm__chat'), false);
  assert.equal(reader('hub__memory__sync_push'), false);
  const researcher = toolPolicy(roleFor(settings, 'researcher'));
  assert.equal(researcher('web__fetch_url'), true);
  assert.equal(researcher('filesystem__write_file'), false);
  assert.equal(roleFor(settings, 'no-such-role').name, 'assistant');
  assert.equal(toolPolicy(roleFor(settings, 'no-such-role'))('anything__at_all'), true);
});

test('explicit tool-call inputs: one call, a list, plain inputs, malformed calls', () => {
  assert.deepEqual(explicitCalls({ tool: 'a__b' }), [{ tool: 'a__b', arguments: {} }]);
  assert.deepEqual(explicitCalls([{ tool: 'a__b', arguments: { x: 1 } }, { tool: 'c__d' }]), [
    { tool: 'a__b', arguments: { x: 1 } },
    { tool: 'c__d', arguments: {} },
  ]);
  assert.equal(explicitCalls('read the file'), null);
  assert.equal(explicitCalls({ question: 'why?' }), null);
  assert.equal(explicitCalls([]), null);
  assert.throws(
    () => explicitCalls({ tool: 3 }),
    (error: unknown) => error instanceof PlexusError && error.field === 'input.tool',
  );
  assert.throws(
    () => explicitCalls([{ tool: 'a__b', arguments: [] }]),
    (error: unknown) => error instanceof PlexusError && error.field === 'input.0.arguments',
  );
});
