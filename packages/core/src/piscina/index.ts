/**
 * A drop-in facade for code moving from piscina: `new Piscina({ filename })`, `run(task, opts)`,
 * `close()`, `destroy()`, `queueSize`, `completed`, `threads`, `utilization`, `needsDrain`, the
 * 'drain', 'needsDrain' and 'error' events, and `isWorkerThread`, `workerData`, `move` (static and
 * exported).
 *
 * Every option is honoured or rejected by name with UnsupportedOptionError (see ./options.ts for
 * each decision). Differences, by design: threads are Gatio drivers, one per core, pinned, all
 * started at once and kept until close() (minThreads is a lower bound that always holds; an
 * idleTimeout that would stop threads is rejected); without concurrentTasksPerWorker a driver
 * takes any number of async tasks at once (piscina's default is 1; pass it to get a cap).
 *
 * Saturation, as piscina defines it: `needsDrain` turns true when a task sent now would wait in
 * a queue (all drivers at concurrentTasksPerWorker, or the drivers' rings full), 'needsDrain' is
 * emitted then, and 'drain' once it turns false again.
 *
 * The facade never installs SIGTERM/SIGINT handlers: a library does not exit the process.
 */
import { EventEmitter } from 'node:events';
import type { MessagePort } from 'node:worker_threads';
import { AbortError as AbortErrorClass, DriverCrashedError, InvalidOptionError, QueueFullError, RuntimeClosedError, RuntimeDestroyedError, UnsupportedOptionError } from '../errors';
import { Runtime, type DriverView } from '../runtime/runtime';
import type { RunOptions } from '../runtime/submitter';
import { current } from '../current';
import { topology } from '@gatio/native';
import { move as markMoved, movedTransferable } from './move';
import { resolvePiscinaOptions, type PiscinaOptions, type PiscinaPlan } from './options';
import { WaitQueue, type Waiting } from './wait-queue';

export type { PiscinaOptions };

export interface PiscinaRunOptions {
  name?: string;
  signal?: AbortSignal | null;
  transferList?: readonly unknown[];
}

export class Piscina extends EventEmitter {
  private readonly plan: PiscinaPlan;
  private readonly runtime: Promise<Runtime>;
  private rt: Runtime | null = null;
  /** run() options for a plain run(task): the pool's default export name, allocated once. */
  private readonly defaultOpts: RunOptions | undefined;
  private state: 'open' | 'closing' | 'destroyed' = 'open';
  private closing: Promise<void> | null = null;
  /** Tasks handed to the runtime and not settled yet (at most plan.capacity). */
  private active = 0;
  /** Tasks over plan.capacity, waiting here for one in flight to settle. */
  private readonly waiting = new WaitQueue();
  private completedCount = 0;
  private saturated = false;

  constructor(options: PiscinaOptions) {
    super();
    const plan = resolvePiscinaOptions(options, topology().allowed.length);
    this.plan = plan;
    this.defaultOpts = plan.name === undefined ? undefined : { name: plan.name };
    this.runtime = Runtime.start({
      filename: plan.filename,
      drivers: plan.drivers,
      maxQueue: plan.maxQueue,
      resourceLimits: plan.resourceLimits,
      workerData: plan.workerData,
      // Never signal handlers: the application decides when its process exits.
      shutdown: { signals: false, timeoutMs: plan.closeTimeout },
    }).then((rt) => {
      this.rt = rt;
      rt.on('crash', ({ driver, reason }: { driver: number; reason: string }) => {
        if (this.listenerCount('error') > 0) this.emit('error', new DriverCrashedError(driver, reason));
      });
      return rt;
    });
    // An unhandled start failure surfaces at the first run(); keep it from crashing the process here.
    this.runtime.catch(() => {});
  }

  /** True inside a driver thread (a task module loaded by a pool), false elsewhere. */
  static get isWorkerThread(): boolean {
    return current.active;
  }

  /** The pool's workerData option, inside a driver thread; undefined elsewhere. */
  static get workerData(): unknown {
    return current.workerData;
  }

  /** Marks an ArrayBuffer, a view of one or a MessagePort to be moved, not copied, by run(). */
  static move<T>(value: T): T {
    return markMoved(value);
  }

  run(task: unknown, options?: PiscinaRunOptions): Promise<unknown> {
    let opts = this.defaultOpts;
    if (options !== undefined) {
      try {
        opts = this.runOptions(options, movedTransferable(task));
      } catch (error) {
        return Promise.reject(error);
      }
    } else {
      const moved = movedTransferable(task);
      if (moved !== undefined) opts = { name: this.plan.name, transferList: [moved] };
    }
    if (this.state !== 'open') return Promise.reject(new RuntimeClosedError(this.state === 'destroyed' ? 'destroyed' : 'closed'));
    const rt = this.rt;
    if (rt === null) return this.runtime.then((started) => this.submit(started, task, opts));
    return this.submit(rt, task, opts);
  }

  /** Tasks waiting for a driver: in this pool's queue, or for room in a driver's ring. */
  get queueSize(): number {
    return this.waiting.size + (this.rt?.queueSize ?? 0);
  }

  /** Tasks finished (resolved or rejected) through this pool. */
  get completed(): number {
    return this.completedCount;
  }

  /** The drivers (Gatio's threads): id, cpu, OS thread id. */
  get threads(): DriverView[] {
    return this.rt?.drivers ?? [];
  }

  /**
   * Share of the pool's capacity used, 0 to 1: the mean over drivers of the time each spent
   * running task code since it (re)started (Runtime#stats busyRatio). An async task counts while
   * its code runs, not while it awaits.
   */
  get utilization(): number {
    const drivers = this.rt?.stats().drivers;
    if (drivers === undefined || drivers.length === 0) return 0;
    let sum = 0;
    for (const d of drivers) sum += d.busyRatio;
    return sum / drivers.length;
  }

  /** True while the pool is saturated: a task sent now would wait in a queue. */
  get needsDrain(): boolean {
    return this.saturated;
  }

  /**
   * Stops taking tasks and resolves once every accepted one (queued here too) finished and the
   * drivers stopped; after closeTimeout (default 30 s) what is left is destroyed.
   */
  close(): Promise<void> {
    if (this.closing !== null) return this.closing;
    if (this.state === 'open') this.state = 'closing';
    this.closing = this.runtime.then(async (rt) => {
      const deadline = performance.now() + this.plan.closeTimeout;
      if (this.waiting.size > 0 && !(await this.waiting.emptied(this.plan.closeTimeout))) return this.destroy();
      await rt.close({ timeoutMs: Math.max(0, Math.ceil(deadline - performance.now())) });
    });
    return this.closing;
  }

  /** Rejects every task not finished yet and stops the drivers now. */
  destroy(): Promise<void> {
    this.state = 'destroyed';
    this.waiting.rejectAll(new RuntimeDestroyedError());
    this.closing = this.runtime.then((rt) => rt.destroy());
    return this.closing;
  }

  // ---------------------------------------------------------------- internals

  private runOptions(options: PiscinaRunOptions, moved: ArrayBuffer | MessagePort | undefined): RunOptions | undefined {
    if (typeof options !== 'object' || options === null) throw new InvalidOptionError('options', 'an object', options);
    for (const key of Object.keys(options)) {
      if (key !== 'name' && key !== 'signal' && key !== 'transferList') {
        throw new UnsupportedOptionError(key, key === 'filename' ? 'one task module per pool; use name to pick an export' : 'unknown run() option');
      }
    }
    const name = options.name ?? this.plan.name;
    const signal = options.signal ?? undefined;
    let transferList = options.transferList;
    if (moved !== undefined) transferList = transferList === undefined ? [moved] : [...transferList, moved];
    if (name === undefined && signal === undefined && transferList === undefined) return undefined;
    return { name, signal, transferList };
  }

  private submit(rt: Runtime, task: unknown, opts: RunOptions | undefined): Promise<unknown> {
    if (this.active < this.plan.capacity) return this.dispatch(rt, task, opts);
    // Every driver runs concurrentTasksPerWorker tasks: wait here, within maxQueue.
    if (this.waiting.size + rt.queueSize >= this.plan.maxQueue) return Promise.reject(new QueueFullError(this.plan.maxQueue));
    const signal = opts?.signal;
    if (signal?.aborted) return Promise.reject(new AbortErrorClass(signal.reason));
    const promise = this.waiting.push(task, opts, () => this.checkDrained());
    this.checkSaturated(rt);
    return promise;
  }

  /**
   * Hands a task to the runtime. An async function on purpose, as run() was before: returning the
   * runtime's promise with a then() attached measured several times slower (about 160,000 against
   * 900,000 tasks/s with 1,000 loops of `await pool.run(i)` on one driver, same machine, same run).
   */
  private async dispatch(rt: Runtime, task: unknown, opts: RunOptions | undefined): Promise<unknown> {
    this.active++;
    const promise = rt.run(task, opts);
    if (!this.saturated) this.checkSaturated(rt);
    try {
      const value = await promise;
      this.completedCount++;
      return value;
    } catch (error) {
      if (!(error instanceof QueueFullError)) this.completedCount++; // a refused task never ran
      throw error;
    } finally {
      this.settled();
    }
  }

  /** A task handed to the runtime settled: let the next waiting one in, then see if drained. */
  private settled(): void {
    this.active--;
    const rt = this.rt!;
    while (this.active < this.plan.capacity && this.waiting.size > 0 && this.state !== 'destroyed') {
      const next = this.waiting.shift() as Waiting;
      next.settle(this.dispatch(rt, next.task, next.opts));
    }
    if (this.saturated) this.checkDrained();
  }

  private checkSaturated(rt: Runtime): void {
    if (this.saturated || !(this.active >= this.plan.capacity || this.waiting.size > 0 || rt.queueSize > 0)) return;
    this.saturated = true;
    queueMicrotask(() => this.emit('needsDrain'));
  }

  private checkDrained(): void {
    const rt = this.rt!;
    if (!this.saturated || this.active >= this.plan.capacity || this.waiting.size > 0 || rt.queueSize > 0) return;
    this.saturated = false;
    queueMicrotask(() => this.emit('drain'));
  }
}

/** True inside a driver thread (read at load by a task module, as piscina's isWorkerThread). */
export const isWorkerThread: boolean = current.active;
/** The pool's workerData option inside a driver thread (as piscina's workerData). */
export const workerData: unknown = current.workerData;
/** Marks an ArrayBuffer, a view of one or a MessagePort to be moved, not copied, by run(). */
export const move: <T>(value: T) => T = markMoved;
// Plain data properties, not `export { x }` (a getter would make this exports object a dictionary).
export const AbortError = AbortErrorClass;
export type AbortError = AbortErrorClass;
export default Piscina;
