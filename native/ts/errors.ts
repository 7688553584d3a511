// Errors of @gatio/native, and the GatioError base every Gatio package extends.
//
// Each class has a stable `code` (also a static `code`), and the message starts with it. `instanceof`
// works across copies of the library (two versions in one node_modules tree, or a class loaded in
// another realm): instances carry a Symbol.for brand, and Symbol.hasInstance falls back to the
// brand plus the class's static code when the prototype chain does not match.
//
// Other packages define their own errors the same way:
//   export class RingFullError extends GatioError {
//     static readonly code = 'GATIO_ERR_RING_FULL';
//     constructor(ring: string) { super(RingFullError.code, `ring ${ring} is full`); }
//   }

const kBrand = Symbol.for('gatio.error');

export class GatioError extends Error {
  /** Stable identifier; match on this rather than on the message. */
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(`${code}: ${message}`, options);
    this.code = code;
    this.name = new.target.name;
    Object.defineProperty(this, kBrand, { value: true });
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    if (Function.prototype[Symbol.hasInstance].call(this, value)) return true;
    if (typeof value !== 'object' || value === null || !(value as Record<symbol, unknown>)[kBrand]) {
      return false;
    }
    // The base class (of any copy) has no static code of its own: every branded error matches.
    const code = Object.prototype.hasOwnProperty.call(this, 'code')
      ? (this as unknown as { code: unknown }).code
      : undefined;
    return code === undefined || (value as { code?: unknown }).code === code;
  }
}

/** An argument has the wrong type or shape; the message names the argument. */
export class InvalidArgError extends GatioError {
  static readonly code = 'GATIO_ERR_INVALID_ARG';
  constructor(message: string) {
    super(InvalidArgError.code, message);
  }
}

/** A CPU id is not a non-negative integer, or a CPU list is empty. */
export class InvalidCpuError extends GatioError {
  static readonly code = 'GATIO_ERR_INVALID_CPU';
  constructor(
    message: string,
    readonly cpu?: unknown,
  ) {
    super(InvalidCpuError.code, message);
  }
}

/** A CPU is outside this process's allowed set (sched_getaffinity, cgroup cpuset, taskset). */
export class CpuNotAllowedError extends GatioError {
  static readonly code = 'GATIO_ERR_CPU_NOT_ALLOWED';
  constructor(
    readonly cpu: number,
    readonly allowed: number[],
  ) {
    super(
      CpuNotAllowedError.code,
      `CPU ${cpu} is not in this process's allowed CPU set ${formatCpus(allowed)} (see topology().allowed)`,
    );
  }
}

/** A hand-written topology is inconsistent with itself or with the allowed CPUs. */
export class InvalidTopologyError extends GatioError {
  static readonly code = 'GATIO_ERR_INVALID_TOPOLOGY';
  constructor(message: string) {
    super(InvalidTopologyError.code, message);
  }
}

/** io_uring cannot be used here; `reason` says why and how to fix it. */
export class IoUringUnavailableError extends GatioError {
  static readonly code = 'GATIO_ERR_IO_URING_UNAVAILABLE';
  readonly reason: string;
  readonly errno?: number;
  constructor(reason: string, errno?: number) {
    super(IoUringUnavailableError.code, reason);
    this.reason = reason;
    this.errno = errno;
  }
}

/** A system call failed inside the addon. */
export class NativeError extends GatioError {
  static readonly code = 'GATIO_ERR_NATIVE';
  readonly errno: number;
  readonly syscall: string;
  constructor(message: string, errno: number, syscall: string) {
    super(NativeError.code, message);
    this.errno = errno;
    this.syscall = syscall;
  }
}

/** '[0, 1, 2]' */
export function formatCpus(cpus: readonly number[]): string {
  return `[${cpus.join(', ')}]`;
}

/**
 * Converts an error thrown by the addon (a plain Error with `code`, `errno`, `syscall`) into its
 * class. Anything else is returned unchanged.
 */
export function toNativeError(err: unknown): unknown {
  if (err instanceof GatioError || typeof err !== 'object' || err === null) return err;
  const e = err as { code?: unknown; message?: unknown; errno?: unknown; syscall?: unknown };
  const message = String(e.message ?? '').replace(/^GATIO_ERR_[A-Z_]+: /, '');
  if (e.code === NativeError.code) {
    return new NativeError(message, Number(e.errno), String(e.syscall));
  }
  if (e.code === InvalidArgError.code) return new InvalidArgError(message);
  return err;
}
