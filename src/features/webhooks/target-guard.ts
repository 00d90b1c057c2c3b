import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { RegistryError } from '../../errors/registry-error.js';

/**
 * Where webhooks may be sent. A webhook makes the registry send requests to an address a project administrator
 * chose, from inside the network the registry runs in: without a guard, that reaches the cloud's metadata service
 * (169.254.169.254), databases and admin consoles on private addresses, and the node itself (SSRF). So a target must
 * resolve to public addresses only, unless the administrator allows private ones (`webhooks.allowPrivateTargets`),
 * and the delivery connects to exactly the addresses that were checked, so that a name re-resolved in between
 * (DNS rebinding) cannot point it elsewhere.
 */

/** Why an address is not public; undefined for a public one. */
export type AddressClass =
  | 'loopback' | 'private' | 'link-local' | 'unspecified' | 'carrier-grade NAT' | 'multicast' | 'reserved' | 'documentation'
  | 'benchmarking';

const ranges: readonly [AddressClass, string, number, 'ipv4' | 'ipv6'][] = [
  ['unspecified', '0.0.0.0', 8, 'ipv4'],
  ['loopback', '127.0.0.0', 8, 'ipv4'],
  ['private', '10.0.0.0', 8, 'ipv4'],
  ['private', '172.16.0.0', 12, 'ipv4'],
  ['private', '192.168.0.0', 16, 'ipv4'],
  ['link-local', '169.254.0.0', 16, 'ipv4'],
  // Shared address space, used inside providers' networks (Alibaba Cloud's metadata service is 100.100.100.200).
  ['carrier-grade NAT', '100.64.0.0', 10, 'ipv4'],
  ['reserved', '192.0.0.0', 24, 'ipv4'],
  ['documentation', '192.0.2.0', 24, 'ipv4'],
  ['benchmarking', '198.18.0.0', 15, 'ipv4'],
  ['documentation', '198.51.100.0', 24, 'ipv4'],
  ['documentation', '203.0.113.0', 24, 'ipv4'],
  ['multicast', '224.0.0.0', 4, 'ipv4'],
  ['reserved', '240.0.0.0', 4, 'ipv4'],
  ['unspecified', '::', 128, 'ipv6'],
  ['loopback', '::1', 128, 'ipv6'],
  ['private', 'fc00::', 7, 'ipv6'],
  ['link-local', 'fe80::', 10, 'ipv6'],
  // Deprecated site-local addresses: private in practice.
  ['private', 'fec0::', 10, 'ipv6'],
  ['multicast', 'ff00::', 8, 'ipv6'],
  ['documentation', '2001:db8::', 32, 'ipv6'],
  ['reserved', '100::', 64, 'ipv6'],
];

const lists = new Map<AddressClass, BlockList>();
for (const [name, network, prefix, family] of ranges) {
  const list = lists.get(name) ?? new BlockList();
  list.addSubnet(network, prefix, family);
  lists.set(name, list);
}

/**
 * What kind of address `address` is: undefined when it is public. An IPv6 address that carries an IPv4 one
 * (IPv4-mapped `::ffff:a.b.c.d`, IPv4-compatible `::a.b.c.d`, NAT64 `64:ff9b::a.b.c.d`) is judged by the IPv4 address,
 * since that is where a connection to it goes.
 */
export function classifyAddress(address: string): AddressClass | undefined {
  const family = isIP(address);
  if (family === 0) throw new Error(`not an IP address: ${address}`);
  const embedded = family === 6 ? embeddedIpv4(address) : undefined;
  const [value, type] = embedded !== undefined ? [embedded, 'ipv4' as const] : [address, family === 4 ? 'ipv4' as const : 'ipv6' as const];
  for (const [name, list] of lists) if (list.check(value, type)) return name;
  return undefined;
}

/** The IPv4 address an IPv6 address stands for, if it is one of the forms that carry one. */
function embeddedIpv4(address: string): string | undefined {
  const words = expandIpv6(address.split('%')[0]!);
  const last = `${words[6]! >> 8}.${words[6]! & 255}.${words[7]! >> 8}.${words[7]! & 255}`;
  const zeros = (from: number, to: number) => words.slice(from, to).every((word) => word === 0);
  if (zeros(0, 5) && words[5] === 0xffff) return last; // ::ffff:a.b.c.d, IPv4-mapped
  if (zeros(0, 6) && (words[6] !== 0 || words[7]! > 1)) return last; // ::a.b.c.d, IPv4-compatible (not :: or ::1)
  if (words[0] === 0x64 && words[1] === 0xff9b && zeros(2, 6)) return last; // 64:ff9b::/96, NAT64
  return undefined;
}

/** The eight 16-bit words of an IPv6 address (which may end in dotted IPv4). */
function expandIpv6(address: string): number[] {
  let text = address;
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted[1]!.split('.').map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') as [string, string] : [text, undefined];
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((word) => Number.parseInt(word, 16)));
  const left = parse(head);
  const right = tail === undefined ? [] : parse(tail);
  return [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
}

/** A target URL as written, checked for form (not yet for where it resolves). */
export interface TargetUrl {
  readonly url: URL;
  /** The host without IPv6 brackets: what is resolved. */
  readonly host: string;
}

/**
 * Checks the form of a webhook URL: http or https, a host, no credentials in it (they would be sent in the clear to
 * whoever answers, and shown in lists; a receiver authenticates deliveries by their signature instead).
 */
export function parseTargetUrl(text: string): TargetUrl {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw invalid(`"${text.slice(0, 200)}" is not a URL: send an absolute http:// or https:// URL, e.g. https://hooks.example.com/berth`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw invalid(`webhooks are sent over http or https only, not ${url.protocol.slice(0, -1)}: send an http:// or https:// URL`);
  }
  if (url.username !== '' || url.password !== '') {
    throw invalid('a webhook URL may not hold a username or password: receivers check the webhook-signature header instead (the secret shown at creation)');
  }
  if (url.hostname === '') throw invalid('the webhook URL has no host: send e.g. https://hooks.example.com/berth');
  return { url, host: url.hostname.replace(/^\[(.*)\]$/, '$1') };
}

export interface ResolvedTarget {
  /** The addresses a delivery may connect to (all checked). */
  readonly addresses: readonly { address: string; family: 4 | 6 }[];
}

export type Resolver = (host: string) => Promise<{ address: string; family: number }[]>;

const systemResolver: Resolver = (host) => lookup(host, { all: true, verbatim: true });

/**
 * Resolves a target's host and checks every address it resolves to; refuses (INVALID_REQUEST, saying how to allow
 * it) when one is not public and private targets are not allowed. Every address must pass: a name that resolves to
 * a public and a private address would otherwise reach the private one on some connections.
 */
export async function resolveTarget(target: TargetUrl, allowPrivate: boolean, resolver: Resolver = systemResolver): Promise<ResolvedTarget> {
  let found: { address: string; family: number }[];
  if (isIP(target.host) !== 0) {
    found = [{ address: target.host, family: isIP(target.host) }];
  } else {
    try {
      found = await resolver(target.host);
    } catch (error) {
      const code = (error as { code?: string }).code ?? (error as Error).message;
      throw invalid(`the webhook host ${target.host} does not resolve (${code}): check the URL`);
    }
  }
  if (found.length === 0) throw invalid(`the webhook host ${target.host} resolves to no address: check the URL`);
  if (!allowPrivate) {
    for (const { address } of found) {
      const kind = classifyAddress(address);
      if (kind !== undefined) {
        const via = address === target.host ? '' : ` (${target.host} resolves to ${address})`;
        throw new TargetRefused(`webhooks are not sent to ${kind} addresses such as ${address}${via}, so that they cannot reach services inside `
          + 'the registry\'s network: use a public address, or have the administrator set webhooks.allowPrivateTargets: true in the '
          + 'configuration to allow private receivers', { address, kind });
      }
    }
  }
  return { addresses: found.map(({ address, family }) => ({ address, family: family === 6 ? 6 : 4 })) };
}

/** A target refused for where it resolves (not for a failure to resolve, which may pass). */
export class TargetRefused extends RegistryError {
  constructor(message: string, detail: { address: string; kind: AddressClass }) {
    super('INVALID_REQUEST', message, detail);
    this.name = 'TargetRefused';
  }
}

function invalid(message: string, detail?: Record<string, unknown>): RegistryError {
  return new RegistryError('INVALID_REQUEST', message, detail);
}
