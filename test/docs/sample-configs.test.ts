import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import { initAgent, launch, stop, type Proc } from '../helpers/plexus-process.ts';
import { codeBlocksOf, documentationFiles, ROOT, type CodeBlock } from './markdown.ts';

/**
 * Every sample `plexus.json` and `agent.json` in the README and docs/ starts as written: a hub on each
 * `plexus.json` comes up with every upstream ready, an agent on each `agent.json` connects with its local
 * servers, endpoint and topics. Samples are fenced as ```json plexus.json / ```json agent.json; any other
 * JSON block must say what it is, so that no config escapes this test.
 */
const blocks = documentationFiles().flatMap(codeBlocksOf);
const labelled = (name: string) => blocks.filter((block) => block.lang === `json ${name}`);
const where = (block: CodeBlock) => `${block.file}:${block.line}`;

function tempDir(t: TestContext): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plexus-sample-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A hub on `config` (or the defaults), on a port of its own; the samples' `port` is overridden. */
async function startHub(t: TestContext, config?: string): Promise<{ hub: Proc; url: string }> {
  const dir = tempDir(t);
  const args = ['hub', '--data', path.join(dir, 'data')];
  if (config !== undefined) {
    fs.writeFileSync(path.join(dir, 'plexus.json'), config);
    args.push('--config', path.join(dir, 'plexus.json'));
  }
  // From the repository's folder, as the samples say: npx finds the reference servers among its dependencies.
  const hub = launch(args, { PLEXUS_PORT: '0', PLEXUS_LOG_LEVEL: 'info' }, ROOT);
  t.after(() => stop(hub));
  const line = await hub.waitFor(/Plexus hub listening on/);
  const url = /listening on (http:\/\/[\d.]+:\d+)/.exec(line)?.[1];
  assert.ok(url, line);
  return { hub, url };
}

interface Ready {
  status: string;
  upstreams: Record<string, { state: string; error?: string }>;
}

/** /readyz once no upstream is still starting (each start is bounded by the hub's own start timeout). */
async function settledReadiness(url: string): Promise<{ status: number; body: Ready }> {
  for (;;) {
    const response = await fetch(`${url}/readyz`);
    const body = (await response.json()) as Ready;
    if (Object.values(body.upstreams).every((upstream) => upstream.state !== 'starting')) {
      return { status: response.status, body };
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

test('every JSON block in the docs says which file it is', () => {
  const unnamed = blocks.filter((block) => block.lang === 'json').map(where);
  assert.deepEqual(unnamed, [], 'fence config samples as ```json plexus.json or ```json agent.json');
  assert.ok(labelled('plexus.json').length >= 2, 'the docs show plexus.json samples');
  assert.ok(labelled('agent.json').length >= 1, 'the docs show an agent.json sample');
});

describe('sample plexus.json files start', { timeout: 300_000 }, () => {
  for (const block of labelled('plexus.json')) {
    test(`${where(block)} (${block.headings.at(-1)})`, async (t) => {
      const { url } = await startHub(t, block.content);
      const { status, body } = await settledReadiness(url);
      const down = Object.entries(body.upstreams)
        .filter(([, upstream]) => upstream.state !== 'ready')
        .map(([name, upstream]) => `${name}: ${upstream.state} ${upstream.error ?? ''}`);
      assert.deepEqual(down, []);
      assert.equal(status, 200);
      const config = JSON.parse(block.content) as { mcpServers?: Record<string, unknown> };
      for (const name of Object.keys(config.mcpServers ?? {})) {
        assert.equal(body.upstreams[name]?.state, 'ready', `${name} is mounted`);
      }
    });
  }
});

describe('sample agent.json files start', { timeout: 300_000 }, () => {
  for (const block of labelled('agent.json')) {
    test(`${where(block)} (${block.headings.at(-1)})`, async (t) => {
      const { url } = await startHub(t);
      const root = tempDir(t);
      const config = JSON.parse(block.content) as {
        name?: string;
        topics?: string[];
        p2p?: { listen?: boolean };
        mcpServers?: Record<string, unknown>;
      };
      await initAgent(root, 'sample', { passphrase: 'sample passphrase' });
      fs.writeFileSync(path.join(root, 'sample', 'agent.json'), block.content);
      // PLEXUS_HUB points it at this test's hub instead of the sample's port.
      const agent = launch(
        ['agent', 'start', '--dir', path.join(root, 'sample')],
        { PLEXUS_HUB: url, PLEXUS_PASSPHRASE: 'sample passphrase' },
        ROOT,
      );
      t.after(() => stop(agent));
      await agent.waitFor(new RegExp(`connected to .* as ${config.name ?? 'sample'} `));
      if (config.p2p?.listen) await agent.waitFor(/own endpoint at http:\/\//);
      if (config.topics?.length) await agent.waitFor(new RegExp(`following ${config.topics.join(', ')}`));
      await agent.waitFor(/^agent ready/);
      // Its log says which local servers it connected; the file is complete once the process has ended.
      await stop(agent);
      const logs = fs
        .readdirSync(path.join(root, 'sample', 'logs'))
        .map((file) => fs.readFileSync(path.join(root, 'sample', 'logs', file), 'utf8'))
        .join('\n');
      for (const name of Object.keys(config.mcpServers ?? {})) {
        assert.match(logs, new RegExp(`"server":"${name}".*"msg":"local tool server connected"`), name);
      }
    });
  }
});
