import { test } from 'node:test';
import assert from 'node:assert/strict';
import { listProcesses, parsePs } from './processes.ts';

test('parses ps rows, keeping spaces inside the command', () => {
  const rows = parsePs(
    '    1     0 root      0.0  0.1  1234    01:02:03 /sbin/init splash\n  42    1 app  12.5  3.0 99 00:07 node  server.js --port 8\n\ngarbage\n',
  );
  assert.deepEqual(rows, [
    {
      pid: 1,
      ppid: 0,
      user: 'root',
      cpu_percent: 0,
      memory_percent: 0.1,
      rss_kib: 1234,
      elapsed: '01:02:03',
      command: '/sbin/init splash',
    },
    {
      pid: 42,
      ppid: 1,
      user: 'app',
      cpu_percent: 12.5,
      memory_percent: 3,
      rss_kib: 99,
      elapsed: '00:07',
      command: 'node  server.js --port 8',
    },
  ]);
});

test('the live process table includes this process', async () => {
  const rows = await listProcesses();
  assert.ok(rows.some((p) => p.pid === process.pid && p.ppid === process.ppid));
});
