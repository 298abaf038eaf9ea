import { BlockList, isIP } from 'node:net';

/**
 * Network policy for the sandbox's fetch: which host:port a tool may reach, and which resolved addresses are
 * off limits (loopback, private, link-local, metadata, unspecified…) unless a grant names that exact address
 * and port.
 */

export interface NetEntry {
  /** `*.example.com` matches subdomains of example.com (not example.com itself). */
  wildcard: boolean;
  host: string;
  /** null: the default web ports (80 and 443). */
  port: number | '*' | null;
}

const DEFAULT_PORTS: readonly number[] = [80, 443];

export function parseNetEntry(entry: string): NetEntry {
  if (entry === '*') return { wildcard: true, host: '', port: '*' };
  const match = /^(\*\.)?([^:]+)(?::(\*|\d+))?$/.exec(entry.toLowerCase());
  if (!match?.[2]) throw new Error(`not a net permission: ${entry}`);
  const portText = match[3];
  return {
    wildcard: match[1] !== undefined,
    host: match[2],
    port: portText === undefined ? null : portText === '*' ? '*' : Number(portText),
  };
}

function hostMatches(entry: NetEntry, host: string): boolean {
  if (entry.wildcard) return entry.host === '' || host.endsWith(`.${entry.host}`);
  return host === entry.host;
}

function portMatches(entry: NetEntry, port: number): boolean {
  if (entry.port === '*') return true;
  if (entry.port === null) return DEFAULT_PORTS.includes(port);
  return entry.port === port;
}

/** True when the permission `entry` lets a tool connect to host:port. */
export function netEntryMatches(entry: string, host: string, port: number): boolean {
  const parsed = parseNetEntry(entry);
  return hostMatches(parsed, normalizeHost(host)) && portMatches(parsed, port);
}

/** True when an operator's `allowed` pattern covers everything a tool's `requested` pattern could reach. */
export function netEntryCovers(allowed: string, requested: string): boolean {
  const a = parseNetEntry(allowed);
  const r = parseNetEntry(requested);
  let hostOk: boolean;
  if (a.wildcard && a.host === '') hostOk = true;
  else if (a.wildcard) hostOk = r.host.endsWith(`.${a.host}`) || (r.wildcard && r.host === a.host);
  else hostOk = !r.wildcard && r.host === a.host;
  if (!hostOk) return false;
  if (a.port === '*') return true;
  if (r.port === '*') return false;
  if (r.port === null) return a.port === null;
  return a.port === null ? DEFAULT_PORTS.includes(r.port) : a.port === r.port;
}

/** Lower case, without the brackets of an IPv6 literal in a URL. */
export function normalizeHost(host: string): string {
  const lower = host.toLowerCase();
  return lower.startsWith('[') && lower.endsWith(']') ? lower.slice(1, -1) : lower;
}

export type AddressClass =
  | 'public'
  | 'unspecified'
  | 'loopback'
  | 'private'
  | 'shared'
  | 'link-local'
  | 'metadata'
  | 'multicast'
  | 'reserved'
  | 'invalid';

const METADATA_V4 = ['169.254.169.254', '169.254.170.2', '100.100.100.200', '192.0.0.192'];
const METADATA_V6 = ['fd00:ec2::254'];

function blockList(entries: readonly [string, number, 'ipv4' | 'ipv6'][]): BlockList {
  const list = new BlockList();
  for (const [address, prefix, family] of entries) list.addSubnet(address, prefix, family);
  return list;
}

const V4_CLASSES: readonly [AddressClass, BlockList][] = [
  ['unspecified', blockList([['0.0.0.0', 8, 'ipv4']])],
  ['loopback', blockList([['127.0.0.0', 8, 'ipv4']])],
  [
    'private',
    blockList([
      ['10.0.0.0', 8, 'ipv4'],
      ['172.16.0.0', 12, 'ipv4'],
      ['192.168.0.0', 16, 'ipv4'],
    ]),
  ],
  ['shared', blockList([['100.64.0.0', 10, 'ipv4']])],
  ['link-local', blockList([['169.254.0.0', 16, 'ipv4']])],
  ['multicast', blockList([['224.0.0.0', 4, 'ipv4']])],
  [
    'reserved',
    blockList([
      ['192.0.0.0', 24, 'ipv4'],
      ['192.0.2.0', 24, 'ipv4'],
      ['198.18.0.0', 15, 'ipv4'],
      ['198.51.100.0', 24, 'ipv4'],
      ['203.0.113.0', 24, 'ipv4'],
      ['240.0.0.0', 4, 'ipv4'],
    ]),
  ],
];

const V6_CLASSES: readonly [AddressClass, BlockList][] = [
  ['unspecified', blockList([['::', 128, 'ipv6']])],
  ['loopback', blockList([['::1', 128, 'ipv6']])],
  ['private', blockList([['fc00::', 7, 'ipv6']])],
  ['link-local', blockList([['fe80::', 10, 'ipv6']])],
  ['multicast', blockList([['ff00::', 8, 'ipv6']])],
  [
    'reserved',
    blockList([
      ['100::', 64, 'ipv6'],
      ['2001:db8::', 32, 'ipv6'],
      ['2001::', 23, 'ipv6'],
    ]),
  ],
];

/** The IPv4 address embedded in an IPv4-mapped (::ffff:a.b.c.d), NAT64 (64:ff9b::/96) or 6to4 address. */
function embeddedV4(address: string): string | null {
  const lower = address.toLowerCase();
  const dotted = /^(?:::ffff:|::ffff:0:|64:ff9b::|::)(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  if (dotted?.[1]) return dotted[1];
  const hex = /^(?:::ffff:|64:ff9b::)([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(lower);
  if (hex?.[1] && hex[2]) {
    const high = parseInt(hex[1], 16);
    const low = parseInt(hex[2], 16);
    return `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
  }
  const sixToFour = /^2002:([0-9a-f]{1,4}):([0-9a-f]{1,4}):/.exec(lower);
  if (sixToFour?.[1] && sixToFour[2]) {
    const high = parseInt(sixToFour[1], 16);
    const low = parseInt(sixToFour[2], 16);
    return `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
  }
  return null;
}

/** What kind of address `address` is; anything but `public` is refused unless granted literally. */
export function classifyAddress(address: string): AddressClass {
  const host = normalizeHost(address).replace(/%.*$/, '');
  const family = isIP(host);
  if (family === 4) {
    if (METADATA_V4.includes(host)) return 'metadata';
    if (host === '255.255.255.255') return 'reserved';
    for (const [kind, list] of V4_CLASSES) if (list.check(host, 'ipv4')) return kind;
    return 'public';
  }
  if (family === 6) {
    const v4 = embeddedV4(host);
    if (v4 !== null) return classifyAddress(v4);
    if (METADATA_V6.some((m) => sameV6(m, host))) return 'metadata';
    for (const [kind, list] of V6_CLASSES) if (list.check(host, 'ipv6')) return kind;
    return 'public';
  }
  return 'invalid';
}

function sameV6(a: string, b: string): boolean {
  const list = new BlockList();
  list.addAddress(a, 'ipv6');
  return list.check(b, 'ipv6');
}

/**
 * Whether a connection to the resolved `address` on `port` is allowed: public addresses always (the host:port
 * check has already passed), anything else only when a granted entry names exactly that address with a port
 * covering `port`. A grant for one literal address and port never opens another port of that address to a
 * name that resolves to it.
 */
export function addressAllowed(address: string, port: number, granted: readonly string[]): boolean {
  const kind = classifyAddress(address);
  if (kind === 'public') return true;
  if (kind === 'invalid') return false;
  const host = normalizeHost(address);
  return granted.some((entry) => {
    const parsed = parseNetEntry(entry);
    return !parsed.wildcard && isIP(parsed.host) !== 0 && parsed.host === host && portMatches(parsed, port);
  });
}

/** `address:port`, with an IPv6 address in brackets. */
export function formatHostPort(address: string, port: number): string {
  return isIP(address) === 6 ? `[${address}]:${port}` : `${address}:${port}`;
}
