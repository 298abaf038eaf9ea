import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { silentLogger } from '../lib/log.ts';
import { HubPacing } from './hub-pacing.ts';

const call = (name: string, args: Record<string, unknown>) =>
  JSON.stringify({ jsonrpc: '2.0', id: name, method: 'tools/call', params: { name, arguments: args } });

test('after a busy answer, a call waiting at the hub for mail holds back no request behind it', async () => {
  // The first request is answered 429; a call with wait_ms is held until a later request has been answered,
  // as a long poll is held until mail comes.
  let busy = true;
  const held = Promise.withResolvers<void>();
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      if (busy) {
        busy = false;
        res.writeHead(429, { 'retry-after': '1' }).end();
        return;
      }
      const answer = () => res.writeHead(200, { 'content-type': 'application/json' }).end(body);
      if (body.includes('"wait_ms"')) void held.promise.then(answer);
      else answer();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`;
  const pacing = new HubPacing(60_000, silentLogger);
  const post = (body: string) => pacing.fetch(url, { method: 'POST', body });
  try {
    const first = post(call('first', {}));
    // Sent while the hub's pause holds: all three wait it out, in this order.
    while (pacing.pausedMs === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    const poll = post(call('receive', { wait_ms: 25_000 }));
    const after = post(call('send', {}));
    assert.equal((await first).status, 200);
    // Only answered if the held call did not take the turn before it.
    assert.equal((await after).status, 200);
    held.resolve();
    assert.equal((await poll).status, 200);
  } finally {
    held.resolve();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});
