// Argument checks shared by the exports. TypeScript does the precise validation; C++ keeps only
// cheap guards.
import { InvalidArgError, InvalidCpuError, formatCpus } from './errors';

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
