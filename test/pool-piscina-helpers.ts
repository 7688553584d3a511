import { join } from 'node:path';
import type { Piscina } from '@gatio/core/piscina';

export const POOL_TASKS = join(__dirname, 'fixtures', 'pool-piscina-tasks.js');
export const POOL_TASKS_ESM = join(__dirname, 'fixtures', 'pool-piscina-tasks.mjs');

/** Int32 gates shared with the drivers: task 'gate' { sab, i } (or 'hold' on gate 0) waits until open(i). */
export function gates(n: number): { sab: SharedArrayBuffer; open(i: number): void } {
  const sab = new SharedArrayBuffer(4 * n);
  const i32 = new Int32Array(sab);
  return {
    sab,
    open(i: number) {
      // Atomics.store + notify: a driver thread waits on this cell (Atomics.wait / waitAsync).
      Atomics.store(i32, i, 1);
      Atomics.notify(i32, i);
    },
  };
}

/** Runs the fixture's 'gate' task: a SharedArrayBuffer takes postMessage (an empty transferList). */
export function runGate(pool: Piscina, g: { sab: SharedArrayBuffer }, i: number, signal?: AbortSignal): Promise<unknown> {
  return pool.run({ sab: g.sab, i }, { name: 'gate', transferList: [], signal });
}

/** Resolves with `p`, or fails naming `what` after a generous bound (a busy machine is slow, not stuck). */
export function within<T>(p: Promise<T>, what: string, ms = 30_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing after ${ms} ms`)), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/** Lets queued microtasks and immediates run (events the facade emits from a microtask). */
export const turn = (): Promise<void> => new Promise((r) => setImmediate(r));
