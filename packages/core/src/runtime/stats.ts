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

export interface DriverStats extends DriverView {
  /** Tasks the main thread sent to this driver. */
  submitted: number;
  /** Tasks this driver finished successfully (from any sender); failures count in `failed`. */
  completed: number;
  failed: number;
  /** Started, not finished (async tasks included). */
  running: number;
  /** Waiting on the main thread for room in this driver's ring. */
  queued: number;
  restarts: number;
  /** Share of wall time since the driver (re)started spent running task code. */
  busyRatio: number;
}

export interface TpcStats {
  id: number;
  node: number;
  cpus: number[];
  submitted: number;
  completed: number;
  failed: number;
  running: number;
  queued: number;
  restarts: number;
  drivers: DriverStats[];
}
