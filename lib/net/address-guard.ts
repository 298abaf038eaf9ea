import { lookup as dnsLookup } from 'node:dns/promises';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { PlexusError } from '../errors.ts';

/** Address ranges an untrusted fetch must not reach unless the operator grants them explicitly. */
const RANGES: readonly [
  category: AddressCategory,
  subnet: string,
  prefix: number,
  family: 'ipv4' | 'ipv6',
][] = [
  ['unspecified', '0.0.0.0', 8, 'ipv4'],
  ['private', '10.0.0.0', 8, 'ipv4'],
  ['shared', '100.64.0.0', 10, 'ipv4'],
  ['loopback', '127.0.0.0', 8, 'ipv4'],
  ['link-local', '169.254.0.0', 16, 'ipv4'],
  ['private', '172.16.0.0', 12, 'ipv4'],
  ['reserved', '192.0.0.0', 24, 'ipv4'],
  ['reserved', '192.0.2.0', 24, 'ipv4'],
  ['private', '192.168.0.0', 16, 'ipv4'],
  ['reserved', '198.18.0.0', 15, 'ipv4'],
  ['reserved', '198.51.100.0', 24, 'ipv4'],
  ['reserved', '203.0.113.0', 24, 'ipv4'],
  ['multicast', '224.0.0.0', 4, 'ipv4'],
  ['reserved', '240.0.0.0', 4, 'ipv4'],
  ['unspecified', '::', 128, 'ipv6'],
  ['loopback', '::1', 128, 'ipv6'],
  ['private', 'fc00::', 7, 'ipv6'],
  ['link-local', 'fe80::', 10, 'ipv6'],
  ['multicast', 'ff00::', 8, 'ipv6'],
  ['reserved', '2001:db8::', 32, 'ipv6'],
  ['reserved', '64:ff9b::', 96, 'ipv6'],
];

/** Cloud metadata endpoints, refused even when link-local or private ranges are granted. */
const METADATA = new Set(['169.254.169.254', 'fd00:ec2::254', '100.100.100.200']);

export type AddressCategory =
  | 'public'
  | 'loopback'
  | 'private'
  | 'link-local'
  | 'metadata'
  | 'shared'
  | 'multicast'
  | 'reserved'
  | 'unspecified';

const lists = new Map<AddressCategory, BlockList>();
for (const [category, subnet, prefix, family] of RANGES) {
  let list = lists.get(category);
  if (!list) lists.set(category, (list = new BlockList()));
  list.addSubnet(subnet, prefix, family);
}

/** Unwraps IPv4-mapped IPv6 (`::ffff:127.0.0.1`) so it is judged as the IPv4 address it is. */
function normalize(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return mapped?.[1] ?? address.toLowerCase();
}

export function classifyAddress(address: string): AddressCategory {
  const ip = normalize(address);
  const family = isIP(ip);
  if (family === 0) throw new Error(`not an IP address: ${address}`);
  if (METADATA.has(ip)) return 'metadata';
  const type = family === 4 ? 'ipv4' : 'ipv6';
  for (const [category, list] of lists) if (list.check(ip, type)) return category;
  return 'public';
}

export interface AddressPolicy {
  /** Non-public categories the operator explicitly granted (e.g. 'loopback' for a local service). */
  allowCategories?: readonly AddressCategory[];
}

/** Throws a `forbidden` PlexusError naming the address and why, unless it is public or granted. */
export function assertAddressAllowed(address: string, policy: AddressPolicy = {}): void {
  const category = classifyAddress(address);
  if (category === 'public') return;
  if (category !== 'metadata' && policy.allowCategories?.includes(category)) return;
  throw new PlexusError('forbidden', 'address_forbidden', `${address} is a ${category} address`, {
    hint:
      category === 'metadata' ? 'metadata endpoints are never reachable' : `grant '${category}' to reach it`,
  });
}

export type Lookup = (host: string) => Promise<{ address: string; family: number }[]>;

export const systemLookup: Lookup = (host) => dnsLookup(host, { all: true, verbatim: true });

/**
 * Resolves `host` and checks every address it resolves to (a name with one private address among public ones
 * is refused). Returns the first address, which the caller must connect to, so a second DNS answer cannot
 * swap in another address between the check and the connection.
 */
export async function resolveAllowed(
  host: string,
  policy: AddressPolicy = {},
  lookup: Lookup = systemLookup,
): Promise<string> {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  const addresses = isIP(bare) ? [{ address: bare, family: isIP(bare) }] : await lookup(bare);
  if (addresses.length === 0)
    throw new PlexusError('not_found', 'host_unresolved', `${host} did not resolve`);
  for (const { address } of addresses) assertAddressAllowed(address, policy);
  return addresses[0]?.address ?? bare;
}

/**
 * A socket lookup that answers with the address the guard checked, never a second DNS answer (DNS
 * rebinding); TLS still verifies the certificate against the host name.
 */
export function pinnedLookup(address: string): LookupFunction {
  const family = isIP(address);
  return (_host, options, callback) => {
    if (options.all) callback(null, [{ address, family }]);
    else callback(null, address, family);
  };
}

/**
 * Whether `host:port` matches an allow-list entry: `host`, `host:port`, `*.example.com` or
 * `*.example.com:port` (a wildcard matches subdomains only, not the apex).
 */
export function hostAllowed(host: string, port: number, allowList: readonly string[]): boolean {
  const name = host.toLowerCase().replace(/\.$/, '');
  return allowList.some((entry) => {
    const match = /^(.+?)(?::(\d+))?$/.exec(entry.toLowerCase());
    if (!match) return false;
    const [, pattern = '', entryPort] = match;
    if (entryPort !== undefined && Number(entryPort) !== port) return false;
    if (pattern.startsWith('*.')) return name.endsWith(pattern.slice(1)) && name.length > pattern.length - 1;
    return name === pattern;
  });
}
