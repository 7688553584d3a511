/**
 * Errors crossing threads: a thrown value becomes a plain object of strings and primitives (always
 * encodable by the fast codec), and is rebuilt on the other side with its class (built-in and Gatio
 * classes), name, message, code, own primitive properties and the remote stack.
 */
import { errorClasses } from '../errors';

type Wire = Record<string, string | number | boolean | null>;

const builtins: Record<string, ErrorConstructor> = {
  Error,
  TypeError,
  RangeError,
  SyntaxError,
  ReferenceError,
  EvalError,
  URIError,
};

export function errorToWire(error: unknown): Wire {
  if (!(error instanceof Error)) {
    return { name: 'Error', message: `non-error value thrown: ${safeString(error)}`, stack: '', thrown: true };
  }
  const wire: Wire = { name: error.name, message: error.message, stack: error.stack ?? '' };
  for (const key of Object.keys(error)) {
    const v = (error as unknown as Record<string, unknown>)[key];
    const t = typeof v;
    if (v === null || t === 'string' || t === 'number' || t === 'boolean') wire[key] = v as Wire[string];
  }
  return wire;
}

export function wireToError(value: unknown): Error {
  const wire = (value ?? {}) as Wire;
  const name = String(wire.name ?? 'Error');
  const code = typeof wire.code === 'string' ? wire.code : undefined;
  const Class = (code !== undefined && errorClasses[code]) || builtins[name] || Error;
  const error = Object.create(Class.prototype) as Error;
  Object.defineProperty(error, 'message', { value: String(wire.message ?? ''), writable: true, configurable: true });
  Object.defineProperty(error, 'stack', { value: String(wire.stack ?? ''), writable: true, configurable: true });
  if (name !== Class.prototype.name) {
    Object.defineProperty(error, 'name', { value: name, writable: true, configurable: true });
  }
  for (const key of Object.keys(wire)) {
    if (key !== 'message' && key !== 'stack' && key !== 'name') {
      (error as unknown as Record<string, unknown>)[key] = wire[key];
    }
  }
  if (code !== undefined && errorClasses[code]) {
    // GatioError's brand, so instanceof works across copies for rebuilt errors too.
    Object.defineProperty(error, Symbol.for('gatio.error'), { value: true });
  }
  return error;
}

function safeString(v: unknown): string {
  try {
    return String(v);
  } catch {
    return typeof v;
  }
}
