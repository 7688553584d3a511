/**
 * Picks the driver for a task: `driver` (direct), `key` (same key, same driver: warm caches), or
 * the policy over the drivers that run tasks ('exec' and 'hybrid'): 'least-loaded' by the tasks
 * this thread has in flight on each, or 'round-robin'. Used on the main thread and inside drivers
 * (each thread keeps its own counters, so picking costs no shared-memory traffic).
 */
import { InvalidOptionError } from '../errors';

export type DriverKind = 'io' | 'exec' | 'hybrid';
export type Policy = 'least-loaded' | 'round-robin';

export interface DriverInfo {
  id: number;
  tpc: number;
  cpu: number;
  kind: DriverKind;
}

export class Scheduler {
  /** Thread indices (driver id + 1) of the drivers that take scheduled tasks. */
  private readonly runners: Int32Array;
  private next = 0;

  constructor(
    readonly drivers: readonly DriverInfo[],
    private readonly policy: Policy,
    /** Requests in flight per thread index, maintained by the Endpoint. */
    private readonly inflight: Int32Array,
  ) {
    this.runners = Int32Array.from(drivers.filter((d) => d.kind !== 'io').map((d) => d.id + 1));
  }

  /** Thread index of the driver that should run the task. */
  pick(driver: number | undefined, key: unknown): number {
    if (driver !== undefined) {
      if (!Number.isInteger(driver) || driver < 0 || driver >= this.drivers.length) {
        throw new InvalidOptionError('driver', `a driver id from 0 to ${this.drivers.length - 1}`, driver);
      }
      return driver + 1;
    }
    const runners = this.runners;
    const n = runners.length;
    if (n === 0) {
      throw new InvalidOptionError('driver', "a driver id: this runtime has no 'exec' or 'hybrid' driver to place tasks on", driver);
    }
    if (key !== undefined) return runners[hashKey(key) % n];
    if (this.policy === 'round-robin' || n === 1) {
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
