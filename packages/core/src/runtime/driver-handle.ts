/**
 * The main thread's handle on one driver: its worker_thread across restarts.
 */
import { Worker, type ResourceLimits } from 'node:worker_threads';
import { join } from 'node:path';
import type { DriverData, FromDriver, ToDriver } from '../driver/messages';
import type { DriverInfo } from './scheduler';

const WORKER_SCRIPT = join(__dirname, '..', 'driver', 'worker.js');

export class DriverHandle {
  worker: Worker | null = null;
  threadId = 0;
  restarts = 0;
  startedAt = 0;
  /** True from 'ready' until the worker exits. */
  live = false;
  /** What the driver's services reported at start: one list per service group it runs. */
  serviceReports: unknown[][] | undefined = undefined;

  constructor(readonly info: DriverInfo) {}

  /**
   * Starts the worker; resolves once it reported 'ready' (pinned, module loaded), rejects with its
   * start-up failure. `onMessage` gets every later message, `onExit` the unexpected exit.
   */
  spawn(
    data: DriverData,
    resourceLimits: ResourceLimits | undefined,
    onMessage: (msg: FromDriver) => void,
    onExit: (reason: string) => void,
  ): Promise<void> {
    const worker = new Worker(WORKER_SCRIPT, { workerData: data, resourceLimits, stdout: false, stderr: false });
    this.worker = worker;
    let lastError: Error | null = null;
    return new Promise((resolve, reject) => {
      let started = false;
      worker.on('message', (msg: FromDriver) => {
        if (started) return onMessage(msg);
        if (msg.t === 'ready') {
          started = true;
          this.live = true;
          this.threadId = msg.threadId;
          this.serviceReports = msg.services;
          this.startedAt = performance.now();
          resolve();
        } else if (msg.t === 'failed') {
          started = true;
          const err = new Error(msg.message) as Error & { code: string };
          err.code = msg.code;
          reject(err);
          void worker.terminate();
        }
      });
      worker.on('error', (error) => {
        lastError = error;
      });
      worker.on('exit', (code) => {
        const wasLive = this.live;
        this.live = false;
        if (this.worker === worker) this.worker = null;
        const reason = lastError ? `${lastError.name}: ${lastError.message}` : `exit code ${code}`;
        if (!started) {
          started = true;
          reject(new Error(`the driver thread exited during start-up (${reason})`));
        } else if (wasLive) onExit(reason);
      });
    });
  }

  post(msg: ToDriver): void {
    this.worker?.postMessage(msg);
  }

  ref(): void {
    this.worker?.ref();
  }

  unref(): void {
    this.worker?.unref();
  }
}
