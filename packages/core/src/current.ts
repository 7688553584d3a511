/**
 * `current`: what a task (or a network handler) running on a driver can use of its runtime.
 * On the main thread it is inactive: `current.active` is false and `current.run` throws.
 */
import { GatioError } from './errors';
import type { RunOptions } from './runtime/submitter';
import type { DriverInfo } from './runtime/scheduler';

export class NotInDriverError extends GatioError {
  static readonly code = 'GATIO_ERR_NOT_IN_DRIVER';
  constructor() {
    super(NotInDriverError.code, 'current.run() is only available inside a task or handler running on a Gatio driver; use Runtime#run on the main thread');
  }
}

export class CurrentDriver {
  /** True inside a driver thread (from before its task module loads). */
  active = false;
  /** The runtime's workerData option, as copied to this driver; undefined on the main thread. */
  workerData: unknown = undefined;
  /** This driver (id, tpc, cpu, kind); undefined on the main thread. */
  driver: DriverInfo | undefined;
  /** Every driver of the runtime. */
  drivers: readonly DriverInfo[] = [];
  private submit: ((arg: unknown, options?: RunOptions) => Promise<unknown>) | null = null;

  /** Runs a task on another (or this) driver, with the same options as Runtime#run. */
  run<R = unknown>(arg: unknown, options?: RunOptions): Promise<R> {
    if (this.submit === null) throw new NotInDriverError();
    return this.submit(arg, options) as Promise<R>;
  }

  /** @internal Called by the driver thread before it loads the task module. */
  enter(workerData: unknown): void {
    this.active = true;
    this.workerData = workerData;
  }

  /** @internal Called once by the driver thread. */
  bind(driver: DriverInfo, drivers: readonly DriverInfo[], submit: (arg: unknown, options?: RunOptions) => Promise<unknown>): void {
    this.active = true;
    this.driver = driver;
    this.drivers = drivers;
    this.submit = submit;
  }
}

export const current = new CurrentDriver();
