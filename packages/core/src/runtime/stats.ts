/**
 * The figures Runtime#stats returns (and Runtime#metrics formats): per driver and per TPC.
 */
import type { DriverKind } from './scheduler';

export interface DriverView {
  id: number;
  tpc: number;
  cpu: number;
  kind: DriverKind;
  /** OS thread id of the pinned thread (changes when the driver is restarted). */
  threadId: number;
}

/** Task counters, per driver and summed per TPC. */
export interface TaskCounters {
  /** Tasks the main thread sent (to this driver). */
  submitted: number;
  /** Tasks finished successfully (from any sender); failures count in `failed`. */
  completed: number;
  failed: number;
  /** Started, not finished (async tasks included). */
  running: number;
  /** Waiting on the main thread for room in a driver's ring. */
  queued: number;
  restarts: number;
}

export interface DriverStats extends DriverView, TaskCounters {
  /** Share of wall time since the driver (re)started spent running task code. */
  busyRatio: number;
}

export interface TpcStats extends TaskCounters {
  id: number;
  node: number;
  cpus: number[];
  drivers: DriverStats[];
}
