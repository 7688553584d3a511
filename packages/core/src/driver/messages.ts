/**
 * Control messages between the main thread and a driver (postMessage, never on the hot path):
 * start-up, crash notices, shutdown and out-of-band records (oversized payloads, transferList).
 */
import type { MeshPlan } from '../mesh/plan';
import type { OobRecord } from '../mesh/endpoint';
import type { DriverInfo, Policy } from '../runtime/scheduler';

export interface DriverData {
  plan: MeshPlan;
  driver: DriverInfo;
  drivers: DriverInfo[];
  gen: number;
  filename: string;
  policy: Policy;
  spinMs: number;
  /** First start of the first driver of its TPC: touch the TPC arena so its pages land on this node. */
  touchArena: boolean;
  /** Normalized port declarations (@gatio/net); this driver serves those that list it. */
  ports: unknown[];
  /** The workerData runtime option (current.workerData in the driver). */
  workerData: unknown;
}

export type ToDriver =
  | { t: 'go' }
  | { t: 'crashed'; thread: number; gen: number; reason: string }
  | { t: 'close' }
  | { t: 'metrics'; seq: number }
  | OobRecord;

export type FromDriver =
  | { t: 'ready'; threadId: number; affinity: number[]; net: unknown }
  | { t: 'failed'; code: string; message: string }
  | { t: 'closed' }
  | { t: 'metrics'; seq: number; net: Record<string, number> | undefined }
  | OobRecord;
