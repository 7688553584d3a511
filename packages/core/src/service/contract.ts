/**
 * Services: what runs on drivers beside tasks (tcp and udp from @gatio/net, http from
 * @gatio/http). The core knows this contract and nothing of any particular service: a package
 * builds a Service object, the user passes it in `Runtime.start({ services })`.
 *
 * Life of a service, with the thread each step runs on:
 *  1. main: `plan()` validates the service's options against the runtime's drivers and returns
 *     the drivers that run it, the module they load and a structured-cloneable config (it may be
 *     async, e.g. to reserve a port);
 *  2. each of those drivers, after its task module loaded: the module's `startServices(configs,
 *     ctx)` gets the configs of every service of that module on this driver at once (so they can
 *     share one io_uring) and opens what they need; it reports one value per config;
 *  3. main: `ready(reports)` checks what every driver reported (identical configuration) and
 *     throws to refuse the start, which then stops every driver;
 *  4. each driver, on the main thread's 'go': `serve()` (connections are accepted only now);
 *  5. driver: `close()` when the runtime closes gracefully (stop accepting, finish what is in
 *     flight), `destroy()` when it is torn down; main: `stopped()` once the runtime stopped.
 * A driver restarted after a crash runs step 2 again with the same configs; `restarted()` checks
 * its reports before it serves (step 4).
 */
import type { CurrentDriver } from '../current';
import type { DriverInfo } from '../runtime/scheduler';

/** What `plan()` gets: every driver of the runtime, and those a service runs on by default. */
export interface ServicePlanContext {
  readonly drivers: readonly DriverInfo[];
  /** The io and hybrid drivers: where a service runs unless its own options name drivers. */
  readonly defaultDrivers: readonly number[];
}

export interface ServicePlan {
  /** Driver ids that run the service (io or hybrid drivers only; the runtime checks). */
  drivers: number[];
  /** Absolute path of the module each of those drivers loads (see ServiceModule). */
  module: string;
  /** Structured-cloneable: handed to `startServices` on each driver. */
  config: unknown;
  /** Prefix of the metric names this service's drivers report, e.g. 'gatio_net_'. */
  metricsPrefix: string;
}

/** The main thread's side of a service. */
export interface Service {
  /** A short name for messages: 'tcp', 'udp', 'http'. */
  readonly kind: string;
  plan(ctx: ServicePlanContext): ServicePlan | Promise<ServicePlan>;
  /** reports.get(driverId): what that driver reported for this service. Throw to refuse. */
  ready(reports: ReadonlyMap<number, unknown>): void;
  /**
   * Driver `driver` was restarted after a crash and reported again (reports as in `ready`, its new
   * one included). Throw to refuse it: it is then given up without serving.
   */
  restarted?(driver: number, reports: ReadonlyMap<number, unknown>): void;
  /** The runtime stopped (closed, destroyed, or its start failed after `plan`). */
  stopped(): void;
}

/** What a service module gets on its driver thread. */
export interface ServiceContext {
  readonly driver: DriverInfo;
  readonly drivers: readonly DriverInfo[];
  /** The driver's `current` (current.run hands work to other drivers). */
  readonly current: CurrentDriver;
}

/** One driver's instance of every service of one module. */
export interface RunningServices {
  /** One structured-cloneable report per config, in the order of the configs. */
  reports: unknown[];
  /** Starts serving (accepting connections): called once the main thread checked every report. */
  serve(): void;
  /** Stops accepting and finishes what is in flight. */
  close(): Promise<void>;
  /** Releases everything now (the driver is going away). */
  destroy(): void;
  /** Figures for Runtime#metrics: name (without prefix) to value; `_total` names are counters. */
  stats?(): Record<string, number>;
}

/** The shape of a service's driver module (`ServicePlan.module`). */
export interface ServiceModule {
  startServices(configs: unknown[], ctx: ServiceContext): Promise<RunningServices>;
}

const SERVICE_METHODS = ['plan', 'ready', 'stopped'] as const;

/** True when `value` has the shape of a Service (checked on Runtime.start). */
export function isService(value: unknown): value is Service {
  if (typeof value !== 'object' || value === null) return false;
  const s = value as Record<string, unknown>;
  return typeof s.kind === 'string' && SERVICE_METHODS.every((m) => typeof s[m] === 'function');
}
