import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';

const DEMO = path.resolve(import.meta.dirname, 'demo.ts');

test(
  'npm run demo: hub and three agents register, discover, chat, run a task, share a memory and ask directly',
  { timeout: 180_000 },
  async (t) => {
    const child = spawn(process.execPath, ['--no-node-snapshot', DEMO], {
      // No Ollama: the demo must succeed without a model.
      env: { ...process.env, OLLAMA_HOST: 'http://127.0.0.1:9' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    t.after(() => {
      if (child.exitCode === null) child.kill('SIGINT');
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    assert.equal(code, 0, `demo failed:\n${stdout}\n${stderr}`);
    assert.match(stdout, /No Ollama reachable/);
    assert.match(stdout, /'files': carol/);
    assert.match(stdout, /bob received: "Hi bob/);
    assert.match(stdout, /alice received bob's answer: "\[no LLM available\]/);
    assert.match(stdout, /carol completed it: "Q3 sales grew 12%/);
    assert.match(stdout, /carol recalled: "The quarterly review is on Friday.*\(written by bob\)/);
    assert.match(stdout, /carol is online, and serves its own MCP endpoint at http:\/\/127\.0\.0\.1:\d+/);
    assert.match(stdout, /carol was asked: "What did the Q3 report say\?"/);
    assert.match(stdout, /alice got carol's answer: "\[no LLM available\]/);
    assert.match(stdout, /Every step happened/);
  },
);
