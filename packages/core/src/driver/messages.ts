/**
 * Control messages between the main thread and a driver (postMessage, never on the hot path):
 * start-up, crash notices, shutdown and out-of-band records (oversized payloads, transferList).
 */
import type { MeshPlan } from '../mesh/plan';
import type { OobRecord } from '../mesh/records';
import type { DriverInfo, Policy } from '../runtime/scheduler';
import type { DriverServiceGroup } from '../service/planned';

export interface DriverData {
  plan: MeshPlan;
  driver: DriverInfo;
  drivers: DriverInfo[];
  gen: number;
  /** Task module; '' when the runtime only serves. */
  filename: string;
  policy: Policy;
  spinMs: number;
  /** First start of the first driver of its TPC: touch the TPC arena so its pages land on this node. */
  touchArena: boolean;
  /** The services this driver runs, grouped by service module. */
  services: DriverServiceGroup[];
  /** The workerData runtime option (current.workerData in the driver). */
  workerData: unknown;
  /** Drivers already gone for good when this one starts: thread index and why. */
  down: { thread: number; why: string }[];
}

export type ToDriver =
  | { t: 'go' }
  /** A peer died; `restarting` false: it is gone for good (fail everything for it, as for 'down'). */
  | { t: 'crashed'; thread: number; gen: number; reason: string; restarting: boolean; why: string }
  /** A peer is gone for good (e.g. every restart attempt failed): fail and refuse tasks for it. */
  | { t: 'down'; thread: number; why: string }
  | { t: 'close' }
  | { t: 'metrics'; seq: number }
  | OobRecord;

export type FromDriver =
  | { t: 'ready'; threadId: number; affinity: number[]; services: unknown[][] }
  | { t: 'failed'; code: string; message: string }
  /** Closing: idle (no task running or awaited) with its networking closed. It still answers
   *  peers until the main thread terminates it, once every driver reported 'closed'. */
  | { t: 'closed' }
  | { t: 'metrics'; seq: number; services: Record<string, number> | undefined }
  | OobRecord;
