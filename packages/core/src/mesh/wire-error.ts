/**
 * Thrown values crossing threads. What a task throws reaches its caller the way postMessage users
 * (piscina) expect, with more kept for Errors:
 *  - a value that is not an Error (a string, null, a plain object...) travels as itself, wrapped in
 *    a one-element array: [value];
 *  - an Error becomes a plain object (never an array) of its name, message, remote stack, own
 *    primitive properties (code, errno...) and cause, and is rebuilt with its class: built-in
 *    classes, and those of every package that called registerErrorClasses (core, native, net).
 * encode never throws: a thrown value that cannot be read (a getter or Proxy trap that throws)
 * becomes a TaskEncodeError, so only its own task fails.
 */
import { types } from 'node:util';
import { TaskEncodeError, errorClasses } from '../errors';

type Wire = Record<string, unknown>;

const builtins: Record<string, ErrorConstructor> = {
  Error,
  TypeError,
  RangeError,
  SyntaxError,
  ReferenceError,
  EvalError,
  URIError,
};
/** Causes of causes are followed this deep (a cause chain may be a cycle). */
const MAX_CAUSES = 8;
const brand = Symbol.for('gatio.error');

export function errorToWire(thrown: unknown): unknown {
  try {
    return toWire(thrown, 0);
  } catch (cause) {
    return toWire(encodeFailure('error', cause), MAX_CAUSES);
  }
}

function toWire(thrown: unknown, depth: number): unknown {
  // isNativeError: Errors of another realm (vm contexts) too, as structured clone sees them.
  if (!(thrown instanceof Error) && !types.isNativeError(thrown)) return [thrown];
  const error = thrown as Error & Record<string, unknown>;
  const wire: Wire = { name: String(error.name), message: String(error.message), stack: String(error.stack ?? '') };
  for (const key of Object.keys(error)) {
    const v = error[key];
    const t = typeof v;
    if (v === null || t === 'string' || t === 'number' || t === 'boolean') wire[key] = v;
  }
  if (depth < MAX_CAUSES && Object.prototype.hasOwnProperty.call(error, 'cause')) wire.cause = toWire(error.cause, depth + 1);
  return wire;
}

export function wireToError(value: unknown): unknown {
  if (Array.isArray(value)) return value[0];
  const wire = (value ?? {}) as Wire;
  const name = String(wire.name ?? 'Error');
  const code = typeof wire.code === 'string' ? wire.code : undefined;
  const registered = code !== undefined ? errorClasses[code] : undefined;
  const Class = registered ?? builtins[name] ?? Error;
  const error = Object.create(Class.prototype) as Error;
  Object.defineProperty(error, 'message', { value: String(wire.message ?? ''), writable: true, configurable: true });
  Object.defineProperty(error, 'stack', { value: String(wire.stack ?? ''), writable: true, configurable: true });
  if (name !== Class.prototype.name) {
    Object.defineProperty(error, 'name', { value: name, writable: true, configurable: true });
  }
  if ('cause' in wire) {
    Object.defineProperty(error, 'cause', { value: wireToError(wire.cause), writable: true, configurable: true });
  }
  for (const key of Object.keys(wire)) {
    if (key !== 'message' && key !== 'stack' && key !== 'name' && key !== 'cause') {
      (error as unknown as Wire)[key] = wire[key];
    }
  }
  // GatioError's brand, so instanceof works across copies of the library for rebuilt errors too.
  if (registered !== undefined) Object.defineProperty(error, brand, { value: true });
  return error;
}

/** The error a value that cannot be sent fails with (`cause`: what reading or cloning it threw). */
export function encodeFailure(what: string, cause: unknown): TaskEncodeError {
  return new TaskEncodeError(what, safeString(cause));
}

function safeString(v: unknown): string {
  try {
    return v instanceof Error ? v.message : String(v);
  } catch {
    return typeof v;
  }
}
