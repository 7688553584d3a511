/**
 * Address text <-> bytes for UDP, kept off the per-datagram path by two bounded caches: the
 * sender's address of each received datagram is formatted once per distinct address, and the
 * destination given to send() is parsed once per distinct string. Driver-thread local.
 */
import * as net from 'node:net';

export const AF_INET = 2;
export const AF_INET6 = 10;

export interface UdpRemote {
  address: string;
  port: number;
  family: 'IPv4' | 'IPv6';
}

/** family (AF_INET/AF_INET6) and 16 address bytes (IPv4 uses the first 4). */
export interface ParsedAddress {
  family: number;
  bytes: Uint8Array;
}

const CACHE_LIMIT = 4096;
const parsed = new Map<string, ParsedAddress | null>();
const v4Text = new Map<number, string>();

/** Parses an IPv4/IPv6 literal; null when it is neither. */
export function parseAddress(address: string): ParsedAddress | null {
  let p = parsed.get(address);
  if (p !== undefined) return p;
  p = parseUncached(address);
  if (parsed.size >= CACHE_LIMIT) parsed.clear();
  parsed.set(address, p);
  return p;
}

function parseUncached(address: string): ParsedAddress | null {
  const bytes = new Uint8Array(16);
  if (net.isIPv4(address)) {
    const parts = address.split('.');
    for (let i = 0; i < 4; i++) bytes[i] = Number(parts[i]);
    return { family: AF_INET, bytes };
  }
  if (!net.isIPv6(address)) return null;
  let text = address;
  const zone = text.indexOf('%');
  if (zone >= 0) text = text.slice(0, zone);
  // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two hex groups.
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  if (tail.includes('.')) {
    const q = tail.split('.').map(Number);
    text = `${text.slice(0, lastColon + 1)}${((q[0] << 8) | q[1]).toString(16)}:${((q[2] << 8) | q[3]).toString(16)}`;
  }
  const [head, rest] = text.split('::');
  const a = head === '' ? [] : head.split(':');
  const b = rest === undefined || rest === '' ? [] : rest.split(':');
  const groups = rest === undefined ? a : [...a, ...new Array<string>(8 - a.length - b.length).fill('0'), ...b];
  for (let i = 0; i < 8; i++) {
    const g = parseInt(groups[i], 16);
    bytes[i * 2] = g >> 8;
    bytes[i * 2 + 1] = g & 0xff;
  }
  return { family: AF_INET6, bytes };
}

/** Dotted text of the 4 bytes at mem[off]. */
export function formatV4(mem: Uint8Array, off: number): string {
  const key = ((mem[off] << 24) | (mem[off + 1] << 16) | (mem[off + 2] << 8) | mem[off + 3]) >>> 0;
  let s = v4Text.get(key);
  if (s === undefined) {
    s = `${mem[off]}.${mem[off + 1]}.${mem[off + 2]}.${mem[off + 3]}`;
    if (v4Text.size >= CACHE_LIMIT) v4Text.clear();
    v4Text.set(key, s);
  }
  return s;
}

/** RFC 5952 text of the 16 bytes at mem[off] (longest run of zero groups as '::'). */
export function formatV6(mem: Uint8Array, off: number): string {
  const g: number[] = [];
  for (let i = 0; i < 8; i++) g.push((mem[off + i * 2] << 8) | mem[off + i * 2 + 1]);
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (from: number, to: number) => g.slice(from, to).map((x) => x.toString(16)).join(':');
  if (bestStart < 0) return hex(0, 8);
  return `${hex(0, bestStart)}::${hex(bestStart + bestLen, 8)}`;
}
