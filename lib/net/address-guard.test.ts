import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PlexusError } from '../errors.ts';
import {
  assertAddressAllowed,
  classifyAddress,
  hostAllowed,
  resolveAllowed,
  type Lookup,
} from './address-guard.ts';

test('classifies every special range, including IPv4-mapped IPv6', () => {
  const cases: [string, string][] = [
    ['8.8.8.8', 'public'],
    ['2606:4700:4700::1111', 'public'],
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['::1', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['172.32.0.1', 'public'],
    ['192.168.1.1', 'private'],
    ['fd12:3456::1', 'private'],
    ['169.254.1.1', 'link-local'],
    ['fe80::1', 'link-local'],
    ['169.254.169.254', 'metadata'],
    ['::ffff:169.254.169.254', 'metadata'],
    ['fd00:ec2::254', 'metadata'],
    ['100.64.0.1', 'shared'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['ff02::1', 'multicast'],
    ['192.0.2.10', 'reserved'],
  ];
  for (const [address, category] of cases) assert.equal(classifyAddress(address), category, address);
  assert.throws(() => classifyAddress('localhost'));
});

test('non-public addresses need an explicit grant; metadata never passes', () => {
  assert.doesNotThrow(() => assertAddressAllowed('1.1.1.1'));
  assert.throws(
    () => assertAddressAllowed('127.0.0.1'),
    (e: unknown) => e instanceof PlexusError && e.code === 'address_forbidden',
  );
  assert.doesNotThrow(() => assertAddressAllowed('127.0.0.1', { allowCategories: ['loopback'] }));
  assert.throws(() => assertAddressAllowed('10.0.0.1', { allowCategories: ['loopback'] }));
  assert.throws(() =>
    assertAddressAllowed('169.254.169.254', { allowCategories: ['link-local', 'metadata'] }),
  );
});

test('resolution checks every address and returns the one to connect to', async () => {
  const dns: Record<string, { address: string; family: number }[]> = {
    'public.test': [{ address: '93.184.216.34', family: 4 }],
    'rebind.test': [{ address: '127.0.0.1', family: 4 }],
    'mixed.test': [
      { address: '93.184.216.34', family: 4 },
      { address: '10.0.0.7', family: 4 },
    ],
    'empty.test': [],
  };
  const lookup: Lookup = async (host) => dns[host] ?? [];
  assert.equal(await resolveAllowed('public.test', {}, lookup), '93.184.216.34');
  await assert.rejects(resolveAllowed('rebind.test', {}, lookup), { code: 'address_forbidden' });
  await assert.rejects(resolveAllowed('mixed.test', {}, lookup), { code: 'address_forbidden' });
  await assert.rejects(resolveAllowed('empty.test', {}, lookup), { code: 'host_unresolved' });
  await assert.rejects(resolveAllowed('[::1]', {}, lookup), { code: 'address_forbidden' });
  assert.equal(await resolveAllowed('rebind.test', { allowCategories: ['loopback'] }, lookup), '127.0.0.1');
});

test('the real resolver: localhost resolves to loopback and is refused', async () => {
  await assert.rejects(resolveAllowed('localhost'), { code: 'address_forbidden' });
});

test('host allow-list: exact names, ports and subdomain wildcards', () => {
  const list = ['api.example.com', 'files.example.com:8443', '*.cdn.example.org'];
  assert.equal(hostAllowed('api.example.com', 443, list), true);
  assert.equal(hostAllowed('API.Example.com.', 80, list), true);
  assert.equal(hostAllowed('files.example.com', 8443, list), true);
  assert.equal(hostAllowed('files.example.com', 443, list), false);
  assert.equal(hostAllowed('a.cdn.example.org', 443, list), true);
  assert.equal(hostAllowed('cdn.example.org', 443, list), false);
  assert.equal(hostAllowed('evilcdn.example.org', 443, list), false);
  assert.equal(hostAllowed('api.example.com.evil.net', 443, list), false);
  assert.equal(hostAllowed('example.com', 443, list), false);
});
