/**
 * `tcp()` and `udp()`: typed factories of the services @gatio/net runs on Gatio drivers.
 *
 *   const web = tcp({ port: 0, handler: new URL('./echo.js', import.meta.url) });
 *   const rt = await Runtime.start({ drivers: 2, services: [web] });
 *   web.address(); // { address: '127.0.0.1', family: 'IPv4', port: 41234 }
 *
 * Main thread only. A service object belongs to one runtime. `port: 0` is resolved here, before
 * any driver starts: one socket reserves an ephemeral port (SO_REUSEPORT, never listening), every
 * driver of the service binds that port into the same group, and the reservation is released
 * once their reports are in.
 */
import * as path from 'node:path';
import { isIPv6 } from 'node:net';
import { InvalidOptionError, type DriverInfo, type Service, type ServicePlan, type ServicePlanContext } from '@gatio/core';
import { IoUringUnavailableError, ioUringProbe, reservePort, type PortReservation } from '@gatio/native';
import { checkReports, normalizePort, optionNames, type Backend, type NormalizedPort, type PortOptions, type PortReport, type UdpPortOptions } from './config';
import { ServiceNotStartedError } from './errors';

interface CommonOptions {
  /** 0 to 65535; 0 picks one ephemeral port shared by every driver of the service. */
  port: number;
  /** IPv4 or IPv6 literal. Default '127.0.0.1'. */
  host?: string;
  /** Handler module: an absolute path or a file URL (e.g. new URL('./handler.js', import.meta.url)). */
  handler: string | URL;
  /** Driver ids serving it. Default: every io and hybrid driver. */
  drivers?: number[];
  /** 'io_uring' (default) or 'libuv' (node:net / node:dgram in each driver, same handler API). */
  backend?: 'io_uring' | 'libuv';
  /**
   * Where io_uring is blocked (seccomp, kernel.io_uring_disabled, memlock) or lacks an op Gatio
   * uses: 'libuv' (default) serves through node:net / node:dgram with one warning naming the cause
   * and the fix; 'none' makes Runtime.start fail with that reason instead.
   */
  fallback?: 'libuv' | 'none';
}

export type TcpServiceOptions = CommonOptions & PortOptions;
export type UdpServiceOptions = CommonOptions & UdpPortOptions;

export interface ServiceAddress {
  address: string;
  family: 'IPv4' | 'IPv6';
  port: number;
}

/** The module each driver loads to start its net services (service-driver.ts, compiled). */
const DRIVER_MODULE = path.join(__dirname, 'service-driver.js');
const COMMON = ['port', 'host', 'handler', 'drivers', 'backend', 'fallback'];

abstract class NetService implements Service {
  abstract readonly kind: 'tcp' | 'udp';
  private bound: ServiceAddress | null = null;
  private reservation: PortReservation | null = null;
  private state: 'new' | 'planned' | 'serving' | 'stopped' = 'new';

  protected constructor(private readonly options: CommonOptions & Record<string, unknown>) {}

  /** Where the service really listens; throws before Runtime.start resolved and after close. */
  address(): ServiceAddress {
    if (this.bound === null) throw new ServiceNotStartedError(this.kind, this.state === 'stopped' ? 'stopped' : 'not started');
    return { ...this.bound };
  }

  /** @internal Runtime.start: validates, reserves port 0, and says which drivers run it. */
  plan(ctx: ServicePlanContext): ServicePlan {
    const spec = this.toPortSpec(ctx);
    const ids = new Set(ctx.drivers.map((d) => d.id));
    const port = normalizePort(spec, { where: `${this.kind}()`, optionsWhere: `${this.kind}()` }, ids);
    port.backend = chooseBackend(this.kind, port);
    if (port.port === 0) {
      this.reservation = reservePort(port.host, 0, port.transport);
      port.port = this.reservation.port;
    }
    this.state = 'planned';
    this.planned = port;
    return { drivers: port.drivers, module: DRIVER_MODULE, config: port, metricsPrefix: 'gatio_net_' };
  }

  private planned: NormalizedPort | null = null;

  /** @internal Every driver reported what it loaded and bound: refuse any difference. */
  ready(reports: ReadonlyMap<number, unknown>): void {
    const port = this.planned!;
    const byDriver: Array<{ ports: PortReport[] } | undefined> = [];
    for (const [id, report] of reports) byDriver[id] = report === undefined ? undefined : { ports: [report as PortReport] };
    try {
      checkReports([port], byDriver);
    } finally {
      // The drivers' sockets hold the port now (or the start fails): the reservation has done its job.
      this.reservation?.release();
      this.reservation = null;
    }
    this.bound = { address: port.host, family: isIPv6(port.host) ? 'IPv6' : 'IPv4', port: port.port };
    this.state = 'serving';
  }

  /** @internal A restarted driver reported again: it serves only what the runtime declared. */
  restarted(driver: number, reports: ReadonlyMap<number, unknown>): void {
    const byDriver: Array<{ ports: PortReport[] } | undefined> = [];
    for (const [id, report] of reports) byDriver[id] = report === undefined ? undefined : { ports: [report as PortReport] };
    checkReports([this.planned!], byDriver, driver);
  }

  /** @internal The runtime stopped. */
  stopped(): void {
    this.reservation?.release();
    this.reservation = null;
    this.bound = null;
    this.state = 'stopped';
  }

  private toPortSpec(ctx: ServicePlanContext): Record<string, unknown> {
    const o = this.options;
    const names = optionNames[this.kind] as readonly string[];
    for (const key of Object.keys(o)) {
      if (!COMMON.includes(key) && !names.includes(key)) {
        throw new InvalidOptionError(`${this.kind}().${key}`, `one of ${[...COMMON, ...names].join(', ')}`, key);
      }
    }
    if (o.drivers === undefined && ctx.defaultDrivers.length === 0) {
      throw new InvalidOptionError(`${this.kind}().drivers`, "at least one io or hybrid driver (this runtime has only exec drivers, which run tasks only: make one 'hybrid' or 'io')", []);
    }
    const perPort: Record<string, unknown> = {};
    for (const key of names) if (o[key] !== undefined) perPort[key] = o[key];
    return {
      port: o.port,
      host: o.host,
      transport: this.kind,
      drivers: o.drivers === undefined ? [...ctx.defaultDrivers] : checkDrivers(this.kind, o.drivers, ctx.drivers),
      handler: handlerPath(this.kind, o.handler),
      options: perPort,
      backend: o.backend,
      fallback: o.fallback,
    };
  }
}

/** Reasons already warned about: one line per cause per process, however many services fall back. */
const warned = new Set<string>();

/**
 * The back end a service runs on, decided once on the main thread so that a fallback warns once:
 * io_uring where the probe finds it usable; else libuv (fallback 'libuv', the default) or the
 * probe's reason as an error (fallback 'none').
 */
function chooseBackend(kind: string, port: NormalizedPort): Backend {
  if (port.backend === 'libuv') return 'libuv';
  const probe = ioUringProbe();
  if (probe.usable) return 'io_uring';
  const reason = probe.reason ?? 'io_uring is unavailable';
  if (port.fallback === 'none') throw new IoUringUnavailableError(`${kind}() has fallback: 'none': ${reason}`, probe.errno);
  if (!warned.has(reason)) {
    warned.add(reason);
    process.emitWarning(`io_uring is blocked, so tcp() and udp() services fall back to libuv (node:net / node:dgram): ${reason}`, {
      type: 'GatioWarning',
      code: 'GATIO_WARN_IO_URING_FALLBACK',
    });
  }
  return 'libuv';
}

function checkDrivers(kind: string, drivers: unknown, all: readonly DriverInfo[]): number[] {
  if (!Array.isArray(drivers) || drivers.length === 0) {
    throw new InvalidOptionError(`${kind}().drivers`, 'a non-empty array of io or hybrid driver ids', drivers);
  }
  for (const id of drivers) {
    const d = all.find((x) => x.id === id);
    if (d !== undefined && d.kind === 'exec') {
      throw new InvalidOptionError(`${kind}().drivers`, `io or hybrid drivers (driver ${id} is an exec driver: it runs tasks only)`, id);
    }
  }
  return drivers as number[];
}

/** An absolute path or file URL; a relative path is refused (drivers would resolve it elsewhere). */
function handlerPath(kind: string, handler: unknown): string {
  const example = "new URL('./handler.js', import.meta.url) (ESM) or path.join(__dirname, 'handler.js') (CommonJS)";
  if (handler instanceof URL) {
    if (handler.protocol !== 'file:') throw new InvalidOptionError(`${kind}().handler`, `a file URL such as ${example}`, handler.href);
    return handler.href;
  }
  if (typeof handler !== 'string' || handler === '') throw new InvalidOptionError(`${kind}().handler`, `the handler module: ${example}`, handler);
  if (handler.startsWith('file:') || path.isAbsolute(handler)) return handler;
  throw new InvalidOptionError(`${kind}().handler`, `an absolute path or file URL, e.g. ${example}`, handler);
}

export class TcpService extends NetService {
  readonly kind = 'tcp' as const;
  constructor(options: TcpServiceOptions) {
    super(checkObject('tcp', options));
  }
}

export class UdpService extends NetService {
  readonly kind = 'udp' as const;
  constructor(options: UdpServiceOptions) {
    super(checkObject('udp', options));
  }
}

function checkObject<T>(kind: string, options: T): T & CommonOptions & Record<string, unknown> {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidOptionError(`${kind}(options)`, '{ port, handler, ... }', options);
  }
  return { ...options } as T & CommonOptions & Record<string, unknown>;
}

/** A TCP service: `handler` default-exports { data(conn, bytes), open?, close?, drain?, end? }. */
export function tcp(options: TcpServiceOptions): TcpService {
  return new TcpService(options);
}

/** A UDP service: `handler` default-exports { message(socket, bytes, remote), open?, close?, error? }. */
export function udp(options: UdpServiceOptions): UdpService {
  return new UdpService(options);
}
