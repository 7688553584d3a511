/**
 * Picks the driver for a task: `driver` (direct), `key` (same key, same driver: warm caches), or
 * the policy over the drivers that run tasks ('exec' and 'hybrid'): 'least-loaded' by the tasks
 * this thread has in flight on each, or 'round-robin'. Used on the main thread and inside drivers
 * (each thread keeps its own counters, so picking costs no shared-memory traffic).
 *
 * A driver that died for good (down) gets no more tasks: direct and keyed tasks for it are
 * refused, scheduled ones go to the drivers still up. Each thread marks drivers down itself
 * (the main thread when it sees the exit, drivers on its notice), so picking reads only local state.
 */
import { DriverClosedError, InvalidOptionError } from '../errors';

export type DriverKind = 'io' | 'exec' | 'hybrid';
export type Policy = 'least-loaded' | 'round-robin';

export interface DriverInfo {
  id: number;
  tpc: number;
  cpu: number;
  kind: DriverKind;
}

/** pick() results below zero: why no driver was picked (refusal() turns them into the error). */
const BAD_DRIVER = -1;
const IO_DRIVER = -2;
const NO_RUNNER = -3;
const DOWN = -4;

export class Scheduler {
  /** Thread indices (driver id + 1) of every driver that takes tasks: keys hash over these. */
  private readonly runners: Int32Array;
  /** The runners not down: scheduled tasks go to these. */
  private up: Int32Array;
  /** 1 per thread index of an 'io' driver (takes no tasks), 2 once down (for good). */
  private readonly refuses: Uint8Array;
  /** Why each down driver is down, for the error. */
  private readonly downWhy: string[] = [];
  private next = 0;

  constructor(
    readonly drivers: readonly DriverInfo[],
    private readonly policy: Policy,
    /** Requests in flight per thread index, maintained by the Endpoint. */
    private readonly inflight: Int32Array,
  ) {
    this.runners = Int32Array.from(drivers.filter((d) => d.kind !== 'io').map((d) => d.id + 1));
    this.up = this.runners;
    this.refuses = new Uint8Array(drivers.length + 1);
    for (const d of drivers) if (d.kind === 'io') this.refuses[d.id + 1] = 1;
  }

  /** Thread index of the driver that should run the task; below zero: see refusal(). */
  pick(driver: number | undefined, key: unknown): number {
    if (driver !== undefined) {
      if (!Number.isInteger(driver) || driver < 0 || driver >= this.drivers.length) return BAD_DRIVER;
      const t = driver + 1;
      return this.refuses[t] === 0 ? t : this.refuses[t] === 1 ? IO_DRIVER : DOWN;
    }
    if (key !== undefined) {
      // Over every runner, down or not: a key must not move to another driver when one dies.
      const n = this.runners.length;
      if (n === 0) return NO_RUNNER;
      const t = this.runners[hashKey(key) % n];
      return this.refuses[t] === 0 ? t : DOWN;
    }
    const runners = this.up;
    const n = runners.length;
    if (n === 0) return NO_RUNNER;
    if (this.policy === 'round-robin' || n === 1) {
      if (this.next >= n) this.next = 0; // `up` shrank
      const t = runners[this.next];
      this.next = this.next + 1 === n ? 0 : this.next + 1;
      return t;
    }
    // Least loaded; ties go to the first runner. Preferring the same (warm, probably still awake)
    // driver matters: spreading a trickle of tasks over idle drivers wakes a parked thread for
    // each one, and on a small machine keeps more threads spinning than there are cores.
    let best = runners[0];
    let bestLoad = this.inflight[best];
    for (let i = 1; i < n && bestLoad > 0; i++) {
      const t = runners[i];
      const load = this.inflight[t];
      if (load < bestLoad) {
        best = t;
        bestLoad = load;
      }
    }
    return best;
  }

  /** The error for a pick() result below zero (the slow path: only when a task is refused). */
  refusal(code: number, driver: number | undefined, key: unknown): Error {
    switch (code) {
      case BAD_DRIVER:
        return new InvalidOptionError('driver', `a driver id from 0 to ${this.drivers.length - 1}`, driver);
      case IO_DRIVER:
        return new InvalidOptionError('driver', `the id of an 'exec' or 'hybrid' driver (driver ${driver} is an 'io' driver: it runs no tasks)`, driver);
      case NO_RUNNER:
        return this.runners.length === 0
          ? new InvalidOptionError('driver', "a driver id: this runtime has no 'exec' or 'hybrid' driver to place tasks on", driver)
          : new DriverClosedError(this.runners[0] - 1, `every driver that runs tasks is down (${this.downWhy[this.runners[0]]})`);
      default: {
        const t = driver !== undefined ? driver + 1 : this.runners[hashKey(key) % this.runners.length];
        return new DriverClosedError(t - 1, this.downWhy[t] ?? 'it is down');
      }
    }
  }

  /** Driver thread `t` died for good: refuse tasks for it, schedule around it. */
  markDown(t: number, why: string): void {
    if (this.refuses[t] === 2) return;
    this.refuses[t] = 2;
    this.downWhy[t] = why;
    this.up = this.up.filter((r) => r !== t);
  }

  /** True once markDown(t) was called. */
  isDown(t: number): boolean {
    return this.refuses[t] === 2;
  }
}

/** FNV-1a over a key's string form (numbers hash by value), unsigned. */
export function hashKey(key: unknown): number {
  if (typeof key === 'number' && Number.isInteger(key) && key >= 0) return key >>> 0;
  const s = typeof key === 'string' ? key : String(key);
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
