/**
 * The main thread's handle on one driver: its worker_thread across restarts, and where it stands.
 *
 * States (main thread only):
 *   starting    first start, until Runtime.start posts 'go'
 *   live        takes tasks
 *   restarting  died; a new incarnation is being started (tasks for it wait for that one)
 *   closing     told to close; still answers peers until the main thread terminates it
 *   stopping    being terminated by the main thread: its exit is expected
 *   down        gone for good (not restarted, restart failed, closed, destroyed)
 */
import { Worker, type ResourceLimits } from 'node:worker_threads';
import { join } from 'node:path';
import type { DriverData, FromDriver, ToDriver } from '../driver/messages';
import type { DriverInfo } from './scheduler';

const WORKER_SCRIPT = join(__dirname, '..', 'driver', 'worker.js');

export type DriverState = 'starting' | 'live' | 'restarting' | 'closing' | 'stopping' | 'down';

export class DriverHandle {
  worker: Worker | null = null;
  threadId = 0;
  restarts = 0;
  startedAt = 0;
  state: DriverState = 'starting';
  /** Why it is down (state 'down'), for the errors of tasks sent to it. */
  downWhy = '';
  /** Pending restart attempt (backoff), cleared when the runtime closes or is destroyed. */
  retryTimer: NodeJS.Timeout | null = null;
  /** What the driver's services reported at start: one list per service group it runs. */
  serviceReports: unknown[][] | undefined = undefined;
  /**
   * Out-of-band records addressed to the incarnation being started: posted once it is ready. A
   * record posted to an attempt that then fails would be lost, and its placeholder in the ring
   * would stop the next incarnation's reading for good.
   */
  private held: { msg: ToDriver; transfer: readonly unknown[] | undefined }[] = [];

  constructor(readonly info: DriverInfo) {}

  /** Takes tasks, or will once its restart finished. */
  get serving(): boolean {
    return this.state === 'live' || this.state === 'closing';
  }

  /**
   * Starts the worker; resolves once it reported 'ready' (pinned, module loaded), rejects with its
   * start-up failure. `onMessage` gets every later message, `onExit` any later exit (the runtime
   * tells an expected one from a crash by the state).
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
        if (this.worker === worker) this.worker = null;
        const reason = lastError ? `${lastError.name}: ${lastError.message}` : `exit code ${code}`;
        if (!started) {
          started = true;
          reject(new Error(`the driver thread exited during start-up (${reason})`));
        } else onExit(reason);
      });
    });
  }

  post(msg: ToDriver): void {
    this.worker?.postMessage(msg);
  }

  /** Posts an out-of-band record, or holds it while a new incarnation starts. */
  postRecord(msg: ToDriver, transfer: readonly unknown[] | undefined): void {
    if (this.state === 'restarting') this.held.push({ msg, transfer });
    else if (this.state !== 'down') this.worker?.postMessage(msg, transfer as never);
  }

  /** The new incarnation is ready (before 'go'): hand it what was held for it, in order. */
  releaseHeld(): void {
    const held = this.held;
    this.held = [];
    for (const { msg, transfer } of held) this.worker?.postMessage(msg, transfer as never);
  }

  /** Gone for good: it will never read what was held for it. */
  dropHeld(): void {
    this.held = [];
  }

  ref(): void {
    this.worker?.ref();
  }

  unref(): void {
    this.worker?.unref();
  }
}
