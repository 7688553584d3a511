/**
 * Errors of @gatio/core. Every class has a stable `code` (also static) and an actionable message;
 * `instanceof` works across copies of the library through GatioError's brand.
 */
import {
  AddressNotAvailableError,
  CpuNotAllowedError,
  GatioError,
  InvalidArgError,
  InvalidCpuError,
  InvalidTopologyError,
  IoUringUnavailableError,
  NativeError,
  PermissionError,
  PortInUseError,
  SocketError,
} from '@gatio/native';

export { GatioError };

/** An option of Runtime.start, run() or the piscina facade is invalid; names it and what is allowed. */
export class InvalidOptionError extends GatioError {
  static readonly code = 'GATIO_ERR_INVALID_OPTION';
  constructor(option: string, allowed: string, got: unknown) {
    super(InvalidOptionError.code, `option '${option}' must be ${allowed}, got ${describe(got)}`);
  }
}

/** The piscina facade does not implement an option it was given. */
export class UnsupportedOptionError extends GatioError {
  static readonly code = 'GATIO_ERR_UNSUPPORTED_OPTION';
  constructor(option: string, hint: string) {
    super(UnsupportedOptionError.code, `option '${option}' is not supported by @gatio/core/piscina: ${hint}`);
  }
}

/** More tasks are queued than maxQueue allows. */
export class QueueFullError extends GatioError {
  static readonly code = 'GATIO_ERR_QUEUE_FULL';
  constructor(maxQueue: number) {
    super(
      QueueFullError.code,
      `the task queue is full (maxQueue ${maxQueue}); wait for tasks to finish or raise maxQueue`,
    );
  }
}

/** run() after close() or destroy(). */
export class RuntimeClosedError extends GatioError {
  static readonly code = 'GATIO_ERR_RUNTIME_CLOSED';
  constructor(how: 'closed' | 'destroyed') {
    super(RuntimeClosedError.code, `the runtime is ${how}; start a new one to run more tasks`);
  }
}

/** destroy() rejected a task that had not finished. */
export class RuntimeDestroyedError extends GatioError {
  static readonly code = 'GATIO_ERR_RUNTIME_DESTROYED';
  constructor() {
    super(RuntimeDestroyedError.code, 'the runtime was destroyed before this task finished');
  }
}

/** The task module has no export of that name (or no default export). */
export class UnknownTaskError extends GatioError {
  static readonly code = 'GATIO_ERR_UNKNOWN_TASK';
  constructor(name: string | undefined, filename: string, exported: string[]) {
    const what = name === undefined ? 'default export' : `export named '${name}'`;
    super(
      UnknownTaskError.code,
      `task module ${filename} has no ${what} that is a function (its function exports: ${exported.join(', ') || 'none'})`,
    );
  }
}

/** The task module could not be loaded on a driver. */
export class TaskModuleLoadError extends GatioError {
  static readonly code = 'GATIO_ERR_TASK_MODULE_LOAD';
  constructor(filename: string, reason: string) {
    super(TaskModuleLoadError.code, `could not load task module ${filename} on a driver: ${reason}`);
  }
}

/**
 * The driver running (or holding) this task died. It is restarted on its CPU unless `restarting`
 * is false (restart: false, or the runtime is closing).
 */
export class DriverCrashedError extends GatioError {
  static readonly code = 'GATIO_ERR_DRIVER_CRASHED';
  constructor(driver: number, reason: string, restarting = true) {
    const next = restarting ? 'it is restarted on its CPU' : 'it is not restarted';
    super(DriverCrashedError.code, `driver ${driver} crashed (${reason}); ${next}, this task was lost with it`);
  }
}

/**
 * The task was for a driver that takes no more tasks: it died and is not restarted (restart:
 * false, a crash while the runtime closes, or every restart attempt failed). The task never ran.
 * Scheduled tasks (no `driver`, no `key`) go to the remaining drivers instead.
 */
export class DriverClosedError extends GatioError {
  static readonly code = 'GATIO_ERR_DRIVER_CLOSED';
  constructor(driver: number, why: string) {
    super(DriverClosedError.code, `driver ${driver} takes no more tasks: ${why}; send the task to another driver or start a new runtime`);
  }
}

/** A driver thread could not start. */
export class DriverStartError extends GatioError {
  static readonly code = 'GATIO_ERR_DRIVER_START';
  constructor(driver: number, reason: string) {
    super(DriverStartError.code, `driver ${driver} failed to start: ${reason}`);
  }
}

/** A task argument or result cannot be sent between threads (functions, symbols, ...). */
export class TaskEncodeError extends GatioError {
  static readonly code = 'GATIO_ERR_TASK_ENCODE';
  constructor(what: string, reason: string) {
    super(TaskEncodeError.code, `cannot send the task ${what} to another thread: ${reason}`);
  }
}

/**
 * The process credentials changed after the drivers' rings were created (CVE-2024-22017: io_uring
 * requests keep the credentials of the ring's creator), so Gatio refuses to start a driver.
 */
export class CredentialsChangedError extends GatioError {
  static readonly code = 'GATIO_ERR_CREDENTIALS_CHANGED';
  /**
   * `consequence`: 'not restarted' (the runtime refuses to restart a driver that runs services)
   * or 'stops serving' (a driver's ring noticed the change).
   */
  constructor(
    readonly driver: number,
    readonly changed: string,
    consequence: 'not restarted' | 'stops serving' = 'not restarted',
  ) {
    super(
      CredentialsChangedError.code,
      `driver ${driver} ${consequence}: the process credentials changed since its io_uring was created (${changed}); ` +
        'io_uring requests keep the credentials of the thread that created the ring (CVE-2024-22017). ' +
        'Drop privileges before Runtime.start',
    );
  }
}

/** The task's AbortSignal fired. Same name as the DOM/Node AbortError, so existing checks work. */
export class AbortError extends GatioError {
  static readonly code = 'GATIO_ERR_ABORTED';
  constructor(reason?: unknown) {
    super(AbortError.code, 'the task was aborted', { cause: reason });
  }
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function') return 'a function';
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'an object';
  return String(value);
}

type ErrorClass = { readonly code: string } & (new (...args: never[]) => GatioError);

/**
 * Error classes by code: an error that crosses threads is rebuilt with the class registered for
 * its code (mesh/wire-error.ts), so `instanceof`, `name` and `code` work on the receiving side.
 * No prototype: a code such as 'constructor' must not find Object's properties.
 */
export const errorClasses: Record<string, ErrorClass> = Object.create(null) as Record<string, ErrorClass>;

/**
 * Registers a package's error classes (core and @gatio/native below; @gatio/net when it loads).
 * Register on the thread that receives the errors: loading the package there does it. The first
 * class registered for a code keeps it; another class with the same code still matches through
 * GatioError's brand and code.
 */
export function registerErrorClasses(classes: readonly ErrorClass[]): void {
  for (const cls of classes) if (!Object.hasOwn(errorClasses, cls.code)) errorClasses[cls.code] = cls;
}

registerErrorClasses([
  InvalidOptionError,
  UnsupportedOptionError,
  QueueFullError,
  RuntimeClosedError,
  RuntimeDestroyedError,
  UnknownTaskError,
  TaskModuleLoadError,
  DriverCrashedError,
  DriverClosedError,
  DriverStartError,
  TaskEncodeError,
  CredentialsChangedError,
  AbortError,
  // @gatio/native's: a task may call it (pinThread, topology, sockets) and throw what it throws.
  InvalidArgError,
  InvalidCpuError,
  CpuNotAllowedError,
  InvalidTopologyError,
  IoUringUnavailableError,
  NativeError,
  SocketError,
  PortInUseError,
  PermissionError,
  AddressNotAvailableError,
]);
