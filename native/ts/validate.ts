// Argument checks shared by the exports. TypeScript does the precise validation; C++ keeps only
// cheap guards.
import { InvalidArgError, InvalidCpuError, OutOfRangeError, formatCpus } from './errors';

/** The addon's CPU id bound (kMaxCpus in native/src/affinity.h): no valid list is longer. */
export const MAX_CPUS = 8192;

/**
 * Refuses a list longer than `max` before anything walks it: a sparse array may claim 2^32 - 1
 * elements, and map() over it would run for minutes.
 */
export function checkLength(list: readonly unknown[], where: string, max: number): void {
  if (list.length > max) {
    throw new OutOfRangeError(`${where} may hold at most ${max} entries, got ${list.length}`);
  }
}

/** Rejects any argument passed to a function that takes none. */
export function noArgs(fn: string, count: number): void {
  if (count !== 0) {
    throw new InvalidArgError(`${fn}() takes no arguments, got ${count}`);
  }
}

export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'an object';
  return String(value);
}

/**
 * Checks one CPU id: a non-negative safe integer. `where` names it ('pinThread(cpus): cpus[2]');
 * the message lists the allowed set so the caller sees what would have been valid.
 */
export function checkCpu(value: unknown, where: string, allowed: readonly number[]): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new InvalidCpuError(
      `${where} must be a non-negative integer CPU id, got ${describe(value)}; ` +
        `this process's allowed CPU set is ${formatCpus(allowed)}`,
      value,
    );
  }
  return value;
}
