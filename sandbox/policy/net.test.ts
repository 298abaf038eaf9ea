import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  addressAllowed,
  classifyAddress,
  formatHostPort,
  netEntryCovers,
  netEntryMatches,
  parseNetEntry,
} from './net.ts';

test('parseNetEntry reads host, wildcard and port', () => {
  assert.deepEqual(parseNetEntry('api.example.com'), {
    wildcard: false,
    host: 'api.example.com',
    port: null,
  });
  assert.deepEqual(parseNetEntry('*.example.com:8443'), { wildcard: true, host: 'example.com', port: 8443 });
  assert.deepEqual(parseNetEntry('10.0.0.5:*'), { wildcard: false, host: '10.0.0.5', port: '*' });
  assert.deepEqual(parseNetEntry('*'), { wildcard: true, host: '', port: '*' });
  assert.throws(() => parseNetEntry(':80'));
});

test('netEntryMatches: exact host, subdomain wildcard, default and explicit ports', () => {
  const cases: [string, string, number, boolean][] = [
    ['api.example.com', 'api.example.com', 443, true],
    ['api.example.com', 'api.example.com', 80, true],
    ['api.example.com', 'api.example.com', 8080, false],
    ['api.example.com', 'API.Example.com', 443, true],
    ['api.example.com', 'evil.com', 443, false],
    ['api.example.com', 'api.example.com.evil.com', 443, false],
    ['*.example.com', 'a.b.example.com', 443, true],
    ['*.example.com', 'example.com', 443, false],
    ['*.example.com', 'badexample.com', 443, false],
    ['example.com:8080', 'example.com', 8080, true],
    ['example.com:8080', 'example.com', 443, false],
    ['example.com:*', 'example.com', 1, true],
    ['127.0.0.1:9000', '127.0.0.1', 9000, true],
    ['*', 'anything.test', 5, true],
  ];
  for (const [entry, host, port, expected] of cases) {
    assert.equal(netEntryMatches(entry, host, port), expected, `${entry} vs ${host}:${port}`);
  }
});

test('netEntryCovers: an operator pattern covers only what it fully includes', () => {
  const cases: [string, string, boolean][] = [
    ['*', '*.x.com:*', true],
    ['*.example.com', 'api.example.com', true],
    ['*.example.com', '*.api.example.com', true],
    ['*.example.com', '*.example.com', true],
    ['*.example.com', 'example.com', false],
    ['api.example.com', '*.example.com', false],
    ['api.example.com', 'api.example.com:443', true],
    ['api.example.com', 'api.example.com:8443', false],
    ['api.example.com:443', 'api.example.com', false],
    ['api.example.com:*', 'api.example.com', true],
    ['api.example.com:443', 'api.example.com:*', false],
    ['api.example.com:443', 'api.example.com:443', true],
    ['other.com', 'api.example.com', false],
  ];
  for (const [allowed, requested, expected] of cases) {
    assert.equal(netEntryCovers(allowed, requested), expected, `${allowed} covers ${requested}`);
  }
});

test('classifyAddress names every non-public range', () => {
  const cases: [string, string][] = [
    ['8.8.8.8', 'public'],
    ['93.184.216.34', 'public'],
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['0.0.0.0', 'unspecified'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['172.32.0.1', 'public'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'shared'],
    ['169.254.169.254', 'metadata'],
    ['169.254.1.1', 'link-local'],
    ['100.100.100.200', 'metadata'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'reserved'],
    ['240.0.0.1', 'reserved'],
    ['::1', 'loopback'],
    ['[::1]', 'loopback'],
    ['::', 'unspecified'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['fc00::1', 'private'],
    ['fd12:3456::1', 'private'],
    ['fd00:ec2::254', 'metadata'],
    ['ff02::1', 'multicast'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:169.254.169.254', 'metadata'],
    ['64:ff9b::10.0.0.1', 'private'],
    ['2002:7f00:0001::', 'loopback'],
    ['2606:4700:4700::1111', 'public'],
    ['2001:db8::1', 'reserved'],
    ['localhost', 'invalid'],
    ['', 'invalid'],
  ];
  for (const [address, expected] of cases) assert.equal(classifyAddress(address), expected, address);
});

test('addressAllowed: public always, others only when that exact address and port are granted', () => {
  assert.equal(addressAllowed('8.8.8.8', 443, []), true);
  assert.equal(addressAllowed('127.0.0.1', 9000, []), false);
  assert.equal(addressAllowed('127.0.0.1', 9000, ['localhost:9000', '*']), false);
  assert.equal(addressAllowed('127.0.0.1', 9000, ['127.0.0.1:9000']), true);
  // A literal grant for one port opens no other port of that address.
  assert.equal(addressAllowed('127.0.0.1', 5432, ['127.0.0.1:9000', 'localhost:*']), false);
  assert.equal(addressAllowed('127.0.0.1', 5432, ['127.0.0.1:*']), true);
  assert.equal(addressAllowed('127.0.0.1', 80, ['127.0.0.1']), true);
  assert.equal(addressAllowed('127.0.0.1', 8080, ['127.0.0.1']), false);
  assert.equal(addressAllowed('127.0.0.2', 9000, ['127.0.0.1:9000']), false);
  // The unspecified address reaches this machine: only its own exact grant lets a connection through.
  assert.equal(addressAllowed('0.0.0.0', 9000, ['127.0.0.1:9000']), false);
  assert.equal(addressAllowed('0.0.0.0', 5432, ['0.0.0.0:9000']), false);
  assert.equal(addressAllowed('0.0.0.0', 9000, ['0.0.0.0:9000']), true);
  assert.equal(addressAllowed('::', 9000, ['0.0.0.0:9000']), false);
  assert.equal(addressAllowed('::ffff:127.0.0.1', 9000, ['127.0.0.1:9000']), false);
  assert.equal(addressAllowed('169.254.169.254', 80, ['*.amazonaws.com']), false);
  assert.equal(addressAllowed('10.0.0.7', 443, ['10.0.0.7']), true);
  assert.equal(addressAllowed('not-an-ip', 80, ['not-an-ip']), false);
});

test('formatHostPort brackets IPv6 addresses', () => {
  assert.equal(formatHostPort('127.0.0.1', 80), '127.0.0.1:80');
  assert.equal(formatHostPort('::1', 80), '[::1]:80');
});
