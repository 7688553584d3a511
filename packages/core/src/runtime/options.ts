/**
 * Runtime.start options: validation with messages that name the option and what it accepts, and
 * the resolved plan (topology, drivers, TPCs).
 */
import { describeTopology, topology as readTopology, type Topology } from '@gatio/native';
import type { ResourceLimits } from 'node:worker_threads';
import { InvalidOptionError } from '../errors';
import type { DriverInfo, DriverKind, Policy } from './scheduler';
import type { ShutdownOptions } from './shutdown';

export interface DriverSpec {
  cpu: number;
  kind?: DriverKind;
}

export interface RuntimeOptions {
  /** Task module (absolute path or file URL); its exports are the tasks. */
  filename: string | URL;
  /** 'auto' reads sysfs (one TPC per NUMA node); or describe nodes by hand, e.g. [{ cpus: [0] }, { cpus: [1] }]. */
  topology?: 'auto' | Array<{ id?: number; cpus: number[] }>;
  /** 'auto': one hybrid driver per allowed CPU; a number: that many; or one entry per driver. */
  drivers?: 'auto' | number | DriverSpec[];
  /** How tasks without `driver` or `key` are placed. Default 'least-loaded'. */
  policy?: Policy;
  /** Tasks allowed to wait for room in a driver's ring before run() rejects. Default Infinity. */
  maxQueue?: number;
  /** Ring data bytes (powers of two): main<->driver and driver<->driver. Defaults 256 KiB, 64 KiB. */
  ringBytes?: { main?: number; peer?: number };
  /** How long (ms) an idle thread keeps polling before it parks. Default 0.05. */
  spinMs?: number;
  /** Restart a driver that dies (default true). */
  restart?: boolean;
  /** Per-driver V8 limits (worker_threads resourceLimits). */
  resourceLimits?: ResourceLimits;
  /** Server ports served by io_uring on the listed drivers (needs @gatio/net; see its docs). */
  ports?: unknown[];
  /** Graceful shutdown: SIGTERM/SIGINT handling and the close() deadline. */
  shutdown?: ShutdownOptions;
}

export interface ResolvedOptions {
  filename: string;
  topology: Topology;
  drivers: DriverInfo[];
  /** NUMA node id of each TPC. */
  tpcNodes: number[];
  policy: Policy;
  maxQueue: number;
  ringBytes: { main: number; peer: number };
  spinMs: number;
  restart: boolean;
  resourceLimits: ResourceLimits | undefined;
  /** Normalized port declarations from @gatio/net (structured-cloneable), empty without ports. */
  ports: unknown[];
  shutdown: Required<ShutdownOptions>;
}

const KINDS = ['io', 'exec', 'hybrid'];
const KNOWN = new Set(['filename', 'topology', 'drivers', 'policy', 'maxQueue', 'ringBytes', 'spinMs', 'restart', 'resourceLimits', 'ports', 'shutdown']);

function isPowerOfTwo(n: unknown): n is number {
  return Number.isInteger(n) && (n as number) > 0 && ((n as number) & ((n as number) - 1)) === 0;
}

export function resolveOptions(options: RuntimeOptions): ResolvedOptions {
  if (typeof options !== 'object' || options === null) throw new InvalidOptionError('options', 'an object', options);
  for (const key of Object.keys(options)) {
    if (!KNOWN.has(key)) throw new InvalidOptionError(key, `one of ${[...KNOWN].join(', ')}`, key);
  }
  const { filename } = options;
  let file: string;
  if (filename instanceof URL) file = filename.href;
  else if (typeof filename === 'string' && filename.length > 0) file = filename;
  else throw new InvalidOptionError('filename', 'the task module path (absolute) or file URL', filename);
  if (!file.startsWith('file:') && !file.startsWith('/')) {
    throw new InvalidOptionError('filename', 'an absolute path or file URL (drivers resolve it from their own thread)', file);
  }

  const topo = options.topology;
  let topology: Topology;
  if (topo === undefined || topo === 'auto') topology = readTopology();
  else if (Array.isArray(topo)) topology = describeTopology(topo);
  else throw new InvalidOptionError('topology', "'auto' or an array of { id?, cpus }", topo);

  const usable: number[] = [];
  for (const node of topology.nodes) for (const cpu of node.cpus) if (topology.allowed.includes(cpu)) usable.push(cpu);
  let specs: DriverSpec[];
  const d = options.drivers;
  if (d === undefined || d === 'auto') specs = usable.map((cpu) => ({ cpu }));
  else if (typeof d === 'number') {
    if (!Number.isInteger(d) || d < 1 || d > usable.length) {
      throw new InvalidOptionError('drivers', `'auto', a count from 1 to ${usable.length} (usable CPUs), or a list of { cpu, kind }`, d);
    }
    specs = usable.slice(0, d).map((cpu) => ({ cpu }));
  } else if (Array.isArray(d) && d.length > 0) specs = d;
  else throw new InvalidOptionError('drivers', "'auto', a count, or a non-empty list of { cpu, kind }", d);

  const nodeOf = new Map<number, number>();
  for (const node of topology.nodes) for (const cpu of node.cpus) nodeOf.set(cpu, node.id);
  const seen = new Set<number>();
  const tpcNodes: number[] = [];
  const drivers: DriverInfo[] = specs.map((spec, id) => {
    if (typeof spec !== 'object' || spec === null) throw new InvalidOptionError(`drivers[${id}]`, 'an object { cpu, kind }', spec);
    const { cpu, kind = 'hybrid' } = spec;
    if (!Number.isInteger(cpu) || !usable.includes(cpu)) {
      throw new InvalidOptionError(`drivers[${id}].cpu`, `a CPU of the topology this process may use ([${usable.join(', ')}])`, cpu);
    }
    if (seen.has(cpu)) throw new InvalidOptionError(`drivers[${id}].cpu`, 'a CPU no other driver uses (one driver per core)', cpu);
    seen.add(cpu);
    if (!KINDS.includes(kind)) throw new InvalidOptionError(`drivers[${id}].kind`, "'io', 'exec' or 'hybrid'", kind);
    const node = nodeOf.get(cpu)!;
    if (!tpcNodes.includes(node)) tpcNodes.push(node);
    return { id, tpc: -1, cpu, kind: kind as DriverKind, node };
  }).map(({ node, ...rest }) => ({ ...rest, tpc: node })) as DriverInfo[];
  tpcNodes.sort((a, b) => a - b);
  for (const drv of drivers) drv.tpc = tpcNodes.indexOf(drv.tpc);

  const policy = options.policy ?? 'least-loaded';
  if (policy !== 'least-loaded' && policy !== 'round-robin') {
    throw new InvalidOptionError('policy', "'least-loaded' or 'round-robin'", policy);
  }
  const maxQueue = options.maxQueue ?? Infinity;
  if (maxQueue !== Infinity && (!Number.isInteger(maxQueue) || maxQueue < 0)) {
    throw new InvalidOptionError('maxQueue', 'a non-negative integer or Infinity', maxQueue);
  }
  const ringBytes = { main: 256 * 1024, peer: 64 * 1024, ...(options.ringBytes ?? {}) };
  for (const k of ['main', 'peer'] as const) {
    const v = ringBytes[k];
    if (!isPowerOfTwo(v) || v < 64 || v > 1 << 28) {
      throw new InvalidOptionError(`ringBytes.${k}`, 'a power of two from 64 to 2^28', v);
    }
  }
  const spinMs = options.spinMs ?? 0.05;
  if (typeof spinMs !== 'number' || !(spinMs >= 0) || spinMs > 1000) {
    throw new InvalidOptionError('spinMs', 'a number of milliseconds from 0 to 1000', spinMs);
  }
  const restart = options.restart ?? true;
  if (typeof restart !== 'boolean') throw new InvalidOptionError('restart', 'a boolean', restart);
  let ports: unknown[] = [];
  if (options.ports !== undefined) {
    if (!Array.isArray(options.ports)) throw new InvalidOptionError('ports', 'an array of port declarations', options.ports);
    if (options.ports.length > 0) ports = loadNet().validatePorts(options.ports, drivers);
  }
  const sd = options.shutdown ?? {};
  if (typeof sd !== 'object' || sd === null) throw new InvalidOptionError('shutdown', 'an object { signals?, timeoutMs? }', sd);
  const shutdown = { signals: sd.signals ?? true, timeoutMs: sd.timeoutMs ?? 10_000 };
  if (typeof shutdown.signals !== 'boolean') throw new InvalidOptionError('shutdown.signals', 'a boolean', shutdown.signals);
  if (!Number.isInteger(shutdown.timeoutMs) || shutdown.timeoutMs < 0) {
    throw new InvalidOptionError('shutdown.timeoutMs', 'a non-negative integer (milliseconds)', shutdown.timeoutMs);
  }
  return { filename: file, topology, drivers, tpcNodes, policy, maxQueue, ringBytes, spinMs, restart, resourceLimits: options.resourceLimits, ports, shutdown };
}

/** The slice of @gatio/net the runtime calls (net depends on core, so core loads it lazily). */
export interface NetModule {
  validatePorts(ports: unknown[], drivers: DriverInfo[]): unknown[];
  checkReports(ports: unknown[], reports: unknown[], restarted?: number): void;
  attachDriver(ctx: { driver: DriverInfo; drivers: DriverInfo[]; ports: unknown[]; current: unknown }): Promise<{
    report: unknown;
    /** Start accepting and receiving: on 'go', after the main thread checked every report. */
    serve(): void;
    close(): Promise<void>;
    destroy(): void;
    /** Figures for Runtime#metrics (connections, bytes, CQEs, re-arms, ENOBUFS...). */
    stats?(): Record<string, number>;
  }>;
}

export function loadNet(): NetModule {
  try {
    return require('@gatio/net') as NetModule;
  } catch (error) {
    throw new InvalidOptionError('ports', 'used together with the @gatio/net package installed (npm install @gatio/net)', (error as Error).message);
  }
}
