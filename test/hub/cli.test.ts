import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { once } from 'node:events';
import { test } from 'node:test';
import { childrenOf, stillRunning } from '../helpers/processes.ts';
import { connectClient, stdioFixtureEntry, tempDir } from './helpers.ts';

const PLEXUS = path.resolve(import.meta.dirname, '../../bin/plexus.ts');

test(
  'plexus hub starts, prints how to connect, serves, and leaves no child behind on SIGTERM',
  { timeout: 300_000 },
  async (t) => {
    const dir = tempDir(t);
    fs.writeFileSync(
      path.join(dir, 'plexus.json'),
      JSON.stringify({ mcpServers: { one: stdioFixtureEntry('one'), two: stdioFixtureEntry('two') } }),
    );
    const hub = spawn(process.execPath, ['--no-node-snapshot', PLEXUS, 'hub'], {
      cwd: dir,
      env: { ...process.env, PLEXUS_PORT: '0', PLEXUS_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    t.after(() => {
      if (hub.exitCode === null) hub.kill('SIGKILL');
    });
    let stdout = '';
    let stderr = '';
    hub.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const printed = new Promise<string>((resolve, reject) => {
      hub.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        if (stdout.includes('Agents get tokens at')) resolve(stdout);
      });
      hub.once('exit', (code) => reject(new Error(`hub exited with ${code}: ${stderr}`)));
    });
    const text = await printed;
    const url = /Plexus hub listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(text)?.[1];
    assert.ok(url, text);
    assert.match(text, /operator token created and saved to data\/operator-token \(mode 0600\)/);
    assert.match(text, /Authorization: Bearer \$\(cat data\/operator-token\)/);
    assert.match(
      text,
      /npx @modelcontextprotocol\/inspector --cli http:\/\/127\.0\.0\.1:\d+\/mcp --transport http/,
    );

    const token = fs.readFileSync(path.join(dir, 'data', 'operator-token'), 'utf8').trim();
    const client = await connectClient(t, `${url}/mcp`, { token });
    const names = (await client.listTools()).tools.map((tool) => tool.name);
    for (const prefix of ['identity__', 'router__', 'registry__', 'memory__', 'llm__', 'one__', 'two__']) {
      assert.ok(
        names.some((n) => n.startsWith(prefix)),
        `${prefix}* listed`,
      );
    }
    const who = await client.callTool({ name: 'two__whoami', arguments: {} });
    assert.equal((who.structuredContent as { subject: string }).subject, 'operator:operator');
    await client.close();

    const children = childrenOf(hub.pid as number);
    assert.equal(children.length, 2, `two stdio children run: ${children.join(', ')}`);
    hub.kill('SIGTERM');
    const [code] = (await once(hub, 'exit')) as [number | null];
    assert.equal(code, 0, stderr);
    assert.deepEqual(stillRunning(children), [], 'every stdio child is gone');
  },
);

test('plexus hub refuses a bad config naming the field', async (t) => {
  const dir = tempDir(t);
  fs.writeFileSync(
    path.join(dir, 'plexus.json'),
    JSON.stringify({ port: 'eighty', mcpServers: { 'bad name!': { command: 'x' } } }),
  );
  const hub = spawn(process.execPath, ['--no-node-snapshot', PLEXUS, 'hub'], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  hub.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const [code] = (await once(hub, 'exit')) as [number | null];
  assert.equal(code, 2);
  assert.match(stderr, /plexus\.json: port: /);
  assert.match(stderr, /mcpServers\.bad name!: /);
});
