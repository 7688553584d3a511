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

/**
 * The `instanceof` test of every Gatio error class: the prototype chain, or else (another copy of
 * the library, or an error the addon created) the brand plus the class's own static code. A class
 * without a static code of its own (GatioError) accepts every branded object.
 */
function isGatioInstance(cls: object, value: unknown): boolean {
  if (Function.prototype[Symbol.hasInstance].call(cls, value)) return true;
  if (typeof value !== 'object' || value === null || !(value as Record<symbol, unknown>)[kBrand]) {
    return false;
  }
  const code = Object.prototype.hasOwnProperty.call(cls, 'code') ? (cls as { code: unknown }).code : undefined;
  return code === undefined || (value as { code?: unknown }).code === code;
}

/** Marks an error as Gatio's (non-enumerable, like the brand the addon sets on its errors). */
function brand(err: Error, name: string): void {
  err.name = name;
  Object.defineProperty(err, kBrand, { value: true });
}

export class GatioError extends Error {
  /** Stable identifier; match on this rather than on the message. */
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(`${code}: ${message}`, options);
    this.code = code;
    brand(this, new.target.name);
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return isGatioInstance(this, value);
  }
}

// The argument errors extend TypeError and RangeError, as Node's own do (ERR_INVALID_ARG_TYPE,
// ERR_OUT_OF_RANGE); `instanceof GatioError` holds for them through the brand. The addon throws
// the same three from C++ (native/src/errors.cc): plain TypeError/RangeError objects with the
// code and the brand, which these classes recognise.

/** An argument has the wrong type, or is missing; the message names the argument. */
export class InvalidArgError extends TypeError {
  static readonly code = 'GATIO_ERR_INVALID_ARG';
  readonly code = InvalidArgError.code;
  constructor(message: string) {
    super(`${InvalidArgError.code}: ${message}`);
    brand(this, 'InvalidArgError');
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return isGatioInstance(this, value);
  }
}

/** An argument has the right type but a value outside what it accepts; the message names it. */
export class OutOfRangeError extends RangeError {
  static readonly code = 'GATIO_ERR_OUT_OF_RANGE';
  readonly code = OutOfRangeError.code;
  constructor(message: string) {
    super(`${OutOfRangeError.code}: ${message}`);
    brand(this, 'OutOfRangeError');
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return isGatioInstance(this, value);
  }
}

/**
 * A ring method was given a file descriptor the ring did not open or accept (or closed already):
 * acting on it could close or read another component's descriptor, stdin included.
 */
export class FdNotOwnedError extends RangeError {
  static readonly code = 'GATIO_ERR_FD_NOT_OWNED';
  readonly code = FdNotOwnedError.code;
  constructor(
    message: string,
    readonly fd: number,
  ) {
    super(`${FdNotOwnedError.code}: ${message}`);
    brand(this, 'FdNotOwnedError');
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return isGatioInstance(this, value);
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
  if (typeof err !== 'object' || err === null || Object.getPrototypeOf(err) !== Error.prototype) {
    return err;
  }
  const e = err as { code?: unknown; message?: unknown; errno?: unknown; syscall?: unknown };
  const message = String(e.message ?? '').replace(/^GATIO_ERR_[A-Z_]+: /, '');
  if (e.code === NativeError.code) {
    return new NativeError(message, Number(e.errno), String(e.syscall));
  }
  if (e.code === InvalidArgError.code) return new InvalidArgError(message);
  return err;
}
