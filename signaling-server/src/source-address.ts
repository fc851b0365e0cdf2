// Which "source" a connection comes from, the unit that per-source limits count. By default the
// socket's remote address; behind reverse proxies (`trustedProxies` > 0) the address they appended
// to X-Forwarded-For. The header is never read otherwise: any client can write it. An IPv6 address
// counts by its /64, the block one subscriber line usually gets, so rotating through it gains nothing.
import { isIPv4, isIPv6 } from 'node:net';

/** The key one client address is counted under. */
export function sourceKey(address: string | undefined): string {
  const clean = (address ?? '')
    .trim()
    .replace(/^\[(.*)\](:\d+)?$/, '$1')
    .split('%')[0]!;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(clean);
  if (mapped !== null) return mapped[1]!;
  const v4WithPort = /^(\d+\.\d+\.\d+\.\d+):\d+$/.exec(clean);
  if (v4WithPort !== null) return v4WithPort[1]!;
  if (isIPv4(clean)) return clean;
  if (isIPv6(clean)) return `${ipv6Groups(clean).slice(0, 4).join(':')}::/64`;
  return clean === '' ? 'unknown' : clean.slice(0, 64);
}

/**
 * The client address as the nearest of `trustedProxies` proxies recorded it: each proxy appends the
 * address it saw, so entries left of those are whatever the client wrote. Undefined without a header.
 */
export function forwardedAddress(header: string | string[] | undefined, trustedProxies: number): string | undefined {
  const entries = (Array.isArray(header) ? header.join(',') : (header ?? ''))
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '');
  if (entries.length === 0) return undefined;
  return entries[Math.max(0, entries.length - trustedProxies)];
}

/** The eight 16-bit groups of an IPv6 address, as lowercase hex without leading zeros. */
function ipv6Groups(address: string): string[] {
  const split = (part: string): string[] => (part === '' ? [] : part.split(':').flatMap((g) => (g.includes('.') ? ['0', '0'] : [g]))); // an embedded IPv4 fills two groups
  const [head = '', tail] = address.split('::');
  const left = split(head);
  const right = tail === undefined ? [] : split(tail);
  const groups = [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  return groups.map((g) => Number.parseInt(g, 16).toString(16));
}
