/**
 * Declared ports: validation on the main thread (normalizePort, for tcp() and udp() in
 * service.ts), and the check that every driver serving a port loaded the same thing
 * (checkReports). Both run before any connection is accepted: drivers arm accept on 'go'.
 *
 * Relative handler paths resolve against `baseDir` when given, else process.cwd().
 */
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { InvalidPortConfigError, PortConfigMismatchError } from './errors';

export interface PortOptions {
  /** Connections per driver; the next one is accepted and closed at once. Default Infinity. */
  maxConnections?: number;
  /** Close a connection after this long without data in or out; 0 = never (default). */
  idleTimeoutMs?: number;
  /** Bytes per provided receive buffer. Default 16384. */
  bufferSize?: number;
  /** Receive buffers per driver for this port, a power of two. Default 256. */
  bufferCount?: number;
  /** conn.write() returns false once this many bytes are queued. Default 65536. */
  highWaterMark?: number;
  /**
   * A connection with more bytes than this written and not yet sent is closed (its handler's
   * close gets SendQueueOverflowError): a peer that does not read cannot make the server grow
   * without bound, even under a handler that ignores write() returning false. At least
   * highWaterMark; Infinity turns it off. Default 67108864 (64 MiB).
   */
  maxQueuedSendBytes?: number;
  /** listen(2) backlog. Default 511. */
  backlog?: number;
  /**
   * Submission queue entries of the driver's io_uring (its completion queue gets 4x), a power of
   * two. Default 512; a driver serving several ports takes the largest. Tiny values only make
   * sense for tests of completion-queue overflow.
   */
  ringEntries?: number;
}

/** Options of a `transport: 'udp'` port (per driver). */
export interface UdpPortOptions {
  /**
   * Bytes per provided receive buffer. Each buffer holds a 16-byte io_uring_recvmsg_out header,
   * 28 address bytes and the payload, so the largest datagram received whole is bufferSize - 44;
   * longer ones are reported as truncated. A multiple of 8. Default 65600 (any UDP datagram).
   */
  bufferSize?: number;
  /** Receive buffers per driver for this port, a power of two. Default 256. */
  bufferCount?: number;
}

export interface PortSpec {
  port: number;
  host?: string;
  transport?: 'tcp' | 'udp';
  drivers: number[];
  handler: string;
  options?: PortOptions | UdpPortOptions;
  /** 'io_uring' (default) or 'libuv' (always node:net / node:dgram, same handler API). */
  backend?: Backend;
  /**
   * Where io_uring is blocked or lacks an op Gatio uses: 'libuv' (default) serves through
   * node:net / node:dgram instead; 'none' fails the start with the probe's reason.
   */
  fallback?: 'libuv' | 'none';
}

export type Backend = 'io_uring' | 'libuv';

export type NormalizedOptions = Required<PortOptions>;
export type NormalizedUdpOptions = Required<UdpPortOptions>;

interface NormalizedBase {
  port: number;
  host: string;
  drivers: number[];
  /** Absolute path (or file: URL for ESM). */
  handler: string;
  backend: Backend;
  fallback: 'libuv' | 'none';
}
export interface NormalizedTcpPort extends NormalizedBase {
  transport: 'tcp';
  options: NormalizedOptions;
}
export interface NormalizedUdpPort extends NormalizedBase {
  transport: 'udp';
  options: NormalizedUdpOptions;
}
export type NormalizedPort = NormalizedTcpPort | NormalizedUdpPort;

export interface DriverDesc {
  id: number;
  tpc?: number;
  cpu?: number;
  kind?: string;
}

/** What a driver actually loaded for one port (structured-cloneable). */
export interface PortReport {
  port: number;
  host: string;
  transport: string;
  handler: string;
  /** sha1 of the handler file's bytes as loaded. */
  handlerHash: string;
  options: NormalizedOptions | NormalizedUdpOptions;
  /** The port actually bound (differs from `port` only for port 0). */
  boundPort: number;
}

export const defaultOptions: NormalizedOptions = {
  maxConnections: Infinity,
  idleTimeoutMs: 0,
  bufferSize: 16384,
  bufferCount: 256,
  highWaterMark: 65536,
  maxQueuedSendBytes: 64 * 1024 * 1024,
  backlog: 511,
  ringEntries: 512,
};

export const defaultUdpOptions: NormalizedUdpOptions = {
  bufferSize: 65600,
  bufferCount: 256,
};

/** recvmsg_out header (16) + sockaddr_in6 (28): what each UDP buffer holds before the payload. */
export const UDP_BUFFER_OVERHEAD = 44;

type Check = (v: number) => string | null;
const optionChecks: Record<keyof PortOptions, Check> = {
  maxConnections: (v) => (v === Infinity || (Number.isSafeInteger(v) && v >= 1) ? null : 'a positive integer or Infinity'),
  idleTimeoutMs: (v) => (Number.isSafeInteger(v) && v >= 0 ? null : 'a non-negative integer (0 disables it)'),
  bufferSize: (v) => (Number.isSafeInteger(v) && v >= 64 && v <= 1 << 20 ? null : 'an integer from 64 to 1048576'),
  bufferCount: (v) =>
    Number.isSafeInteger(v) && v >= 1 && v <= 32768 && (v & (v - 1)) === 0 ? null : 'a power of two from 1 to 32768',
  highWaterMark: (v) => (Number.isSafeInteger(v) && v >= 1 ? null : 'a positive integer'),
  maxQueuedSendBytes: (v) => (v === Infinity || (Number.isSafeInteger(v) && v >= 1) ? null : 'a positive integer or Infinity'),
  backlog: (v) => (Number.isSafeInteger(v) && v >= 1 ? null : 'a positive integer'),
  ringEntries: (v) =>
    Number.isSafeInteger(v) && v >= 1 && v <= 4096 && (v & (v - 1)) === 0 ? null : 'a power of two from 1 to 4096',
};
const udpOptionChecks: Record<keyof UdpPortOptions, Check> = {
  bufferSize: (v) =>
    Number.isSafeInteger(v) && v >= 128 && v <= 1 << 20 && v % 8 === 0
      ? null
      : 'a multiple of 8 from 128 to 1048576 (it holds 44 bytes of header and address before the payload)',
  bufferCount: optionChecks.bufferCount,
};

export function validatePorts(
  ports: unknown,
  drivers: readonly DriverDesc[],
  opts: { baseDir?: string } = {},
): NormalizedPort[] {
  if (ports === undefined) return [];
  if (!Array.isArray(ports)) throw new InvalidPortConfigError(`ports must be an array, got ${typeof ports}`);
  const ids = new Set(drivers.map((d) => d.id));
  const seen = new Map<string, number>();
  return ports.map((spec: unknown, i: number) => {
    const where = `ports[${i}]`;
    const p = normalizePort(spec, { where, optionsWhere: `${where}.options` }, ids, opts.baseDir);
    // TCP and UDP may share a port number (distinct kernel namespaces); so may IPv4 and IPv6.
    const key = `${p.transport} ${p.host}:${p.port}`;
    if (p.port !== 0 && seen.has(key)) throw new InvalidPortConfigError(`${where} declares ${key} again (first in ports[${seen.get(key)}])`);
    seen.set(key, i);
    return p;
  });
}

/**
 * One port declaration, validated and filled with defaults. `labels` name it in messages:
 * `where` the declaration, `optionsWhere` its per-port options.
 */
export function normalizePort(
  spec: unknown,
  labels: { where: string; optionsWhere: string },
  ids: ReadonlySet<number>,
  baseDir?: string,
): NormalizedPort {
  const { where, optionsWhere } = labels;
  if (typeof spec !== 'object' || spec === null) throw new InvalidPortConfigError(`${where} must be an object`);
  const s = spec as Record<string, unknown>;
  const known = ['port', 'host', 'transport', 'drivers', 'handler', 'options', 'backend', 'fallback'];
  for (const key of Object.keys(s)) {
    if (!known.includes(key)) throw new InvalidPortConfigError(`${where}.${key} is not a port field (known: ${known.join(', ')})`);
  }
  const port = s.port;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new InvalidPortConfigError(`${where}.port must be an integer from 0 to 65535, got ${String(port)}`);
  }
  const host = s.host === undefined ? '127.0.0.1' : s.host;
  if (typeof host !== 'string' || !/^[0-9a-fA-F:.]+$/.test(host)) {
    throw new InvalidPortConfigError(`${where}.host must be an IPv4 or IPv6 literal such as '127.0.0.1' or '::1', got ${String(host)}`);
  }
  const transport = s.transport === undefined ? 'tcp' : s.transport;
  if (transport !== 'tcp' && transport !== 'udp') {
    throw new InvalidPortConfigError(`${where}.transport must be 'tcp' or 'udp', got ${String(transport)}`);
  }
  if (!Array.isArray(s.drivers) || s.drivers.length === 0) {
    throw new InvalidPortConfigError(`${where}.drivers must be a non-empty array of driver ids`);
  }
  for (const d of s.drivers) {
    if (!ids.has(d as number)) {
      throw new InvalidPortConfigError(`${where}.drivers names unknown driver ${String(d)}; this runtime has drivers [${[...ids].join(', ')}]`);
    }
  }
  if (new Set(s.drivers).size !== s.drivers.length) throw new InvalidPortConfigError(`${where}.drivers lists a driver twice`);
  if (typeof s.handler !== 'string' || s.handler === '') {
    throw new InvalidPortConfigError(`${where}.handler must be a module path (absolute, relative to ${baseDir ?? 'process.cwd()'}, or file: URL)`);
  }
  const handler = resolveHandler(s.handler, baseDir);
  const backend = s.backend ?? 'io_uring';
  if (backend !== 'io_uring' && backend !== 'libuv') {
    throw new InvalidPortConfigError(`${where}.backend must be 'io_uring' or 'libuv', got ${String(backend)}`);
  }
  const fallback = s.fallback ?? 'libuv';
  if (fallback !== 'libuv' && fallback !== 'none') {
    throw new InvalidPortConfigError(`${where}.fallback must be 'libuv' (node:net / node:dgram where io_uring is blocked) or 'none', got ${String(fallback)}`);
  }
  const options: Record<string, number> = transport === 'udp' ? { ...defaultUdpOptions } : { ...defaultOptions };
  const checks: Record<string, Check> = transport === 'udp' ? udpOptionChecks : optionChecks;
  if (s.options !== undefined) {
    if (typeof s.options !== 'object' || s.options === null) throw new InvalidPortConfigError(`${optionsWhere} must be an object`);
    for (const [key, value] of Object.entries(s.options)) {
      const check = checks[key];
      if (check === undefined) {
        throw new InvalidPortConfigError(`${optionsWhere}.${key} is not an option of a ${transport} port (known: ${Object.keys(checks).join(', ')})`);
      }
      const problem = typeof value === 'number' ? check(value) : check(NaN);
      if (problem !== null) throw new InvalidPortConfigError(`${optionsWhere}.${key} must be ${problem}, got ${String(value)}`);
      options[key] = value as number;
    }
  }
  if (transport === 'tcp' && options.maxQueuedSendBytes < options.highWaterMark) {
    // write() checks the bound only once it returns false (past highWaterMark): no cost per write.
    throw new InvalidPortConfigError(
      `${optionsWhere}.maxQueuedSendBytes (${options.maxQueuedSendBytes}) must be at least highWaterMark (${options.highWaterMark})`,
    );
  }
  const base = { port, host, drivers: [...(s.drivers as number[])], handler, backend: backend as Backend, fallback: fallback as 'libuv' | 'none' };
  return transport === 'udp'
    ? { ...base, transport, options: options as NormalizedUdpOptions }
    : { ...base, transport, options: options as NormalizedOptions };
}

/** The option names of a transport's ports (top-level fields of tcp() and udp()). */
export const optionNames = { tcp: Object.keys(optionChecks), udp: Object.keys(udpOptionChecks) } as const;

function resolveHandler(handler: string, baseDir?: string): string {
  if (handler.startsWith('file:')) return fileURLToPath(handler);
  return path.resolve(baseDir ?? process.cwd(), handler);
}

/**
 * reports[driverId] = that driver's attachDriver report (undefined for drivers without ports).
 * Throws PortConfigMismatchError naming the port, the driver and the field that differs.
 * `restarted`: the driver that was just restarted, checked last, against what the others (still
 * serving) loaded, so the error names it rather than them.
 */
export function checkReports(
  ports: readonly NormalizedPort[],
  reports: ReadonlyArray<{ ports: PortReport[] } | undefined>,
  restarted?: number,
): void {
  for (const p of ports) {
    let firstHash: { driver: number; hash: string } | undefined;
    const order = restarted === undefined ? p.drivers : [...p.drivers.filter((d) => d !== restarted), ...p.drivers.filter((d) => d === restarted)];
    for (const d of order) {
      const r = reports[d]?.ports.find((x) => x.port === p.port && x.host === p.host && x.transport === p.transport);
      if (r === undefined) throw new PortConfigMismatchError(p.port, d, 'port', 'served', 'not served', p.transport);
      if (r.transport !== p.transport) throw new PortConfigMismatchError(p.port, d, 'transport', p.transport, r.transport, p.transport);
      if (r.handler !== p.handler) throw new PortConfigMismatchError(p.port, d, 'handler', p.handler, r.handler, p.transport);
      const declared = p.options as Record<string, number>;
      const loaded = r.options as Record<string, number>;
      for (const key of new Set([...Object.keys(declared), ...Object.keys(loaded)])) {
        if (loaded[key] !== declared[key]) {
          throw new PortConfigMismatchError(p.port, d, `options.${key}`, declared[key], loaded[key], p.transport);
        }
      }
      if (firstHash === undefined) firstHash = { driver: d, hash: r.handlerHash };
      else if (r.handlerHash !== firstHash.hash) {
        throw new PortConfigMismatchError(
          p.port,
          d,
          'handler contents (sha1)',
          `${firstHash.hash} on driver ${firstHash.driver}`,
          r.handlerHash,
          p.transport,
        );
      }
    }
  }
}
