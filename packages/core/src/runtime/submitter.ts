/**
 * run(): option checks, driver choice, the promise, abort handling. The same code serves the main
 * thread (Runtime#run) and tasks running on drivers (current.run), each with its own Endpoint.
 */
import { AbortError, DriverClosedError, InvalidOptionError, QueueFullError } from '../errors';
import type { Endpoint } from '../mesh/endpoint';
import { type Pending, PRIORITY_HIGH, PRIORITY_LOW, PRIORITY_NORMAL } from '../mesh/records';
import type { Scheduler } from './scheduler';

export type Priority = 'high' | 'normal' | 'low';

export interface RunOptions {
  /** Export of the task module to call; the default export when absent. */
  name?: string;
  /** Run on this driver id (see Runtime#drivers), bypassing the policy. */
  driver?: number;
  /** Affinity: tasks with the same key run on the same driver. */
  key?: string | number;
  /** Queued tasks of higher priority are handed to drivers first. */
  priority?: Priority;
  /** Aborts the task: a queued one never runs, a running one sees the signal (cooperative). */
  signal?: AbortSignal;
  /** Objects to transfer rather than copy (the task then takes the slower postMessage path). */
  transferList?: readonly unknown[];
}

const priorities: Record<string, number> = { high: PRIORITY_HIGH, normal: PRIORITY_NORMAL, low: PRIORITY_LOW };
const knownOptions = new Set(['name', 'driver', 'key', 'priority', 'signal', 'transferList']);

export class Submitter {
  constructor(
    private readonly endpoint: Endpoint,
    private readonly scheduler: Scheduler,
    private readonly maxQueue: number,
  ) {}

  run(arg: unknown, options: RunOptions | undefined): Promise<unknown> {
    if (options === undefined) return this.submit(arg, undefined, undefined, undefined, PRIORITY_NORMAL, undefined, undefined);
    if (typeof options !== 'object' || options === null) {
      return Promise.reject(new InvalidOptionError('options', 'an object or undefined', options));
    }
    let priority = PRIORITY_NORMAL;
    try {
      for (const k in options) {
        if (!knownOptions.has(k)) throw new InvalidOptionError(k, `one of the run() options (${[...knownOptions].join(', ')})`, k);
      }
      const { name, key, signal, transferList } = options;
      if (name !== undefined && typeof name !== 'string') throw new InvalidOptionError('name', 'a string', name);
      if (key !== undefined && typeof key !== 'string' && typeof key !== 'number') {
        throw new InvalidOptionError('key', 'a string or a number', key);
      }
      if (options.priority !== undefined) {
        priority = priorities[options.priority];
        if (priority === undefined) throw new InvalidOptionError('priority', "'high', 'normal' or 'low'", options.priority);
      }
      if (signal !== undefined && !(signal instanceof AbortSignal)) {
        throw new InvalidOptionError('signal', 'an AbortSignal', signal);
      }
      if (transferList !== undefined && !Array.isArray(transferList)) {
        throw new InvalidOptionError('transferList', 'an array', transferList);
      }
      return this.submit(arg, name, options.driver, key, priority, signal, transferList);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  private submit(
    arg: unknown,
    name: string | undefined,
    driver: number | undefined,
    key: unknown,
    priority: number,
    signal: AbortSignal | undefined,
    transfer: readonly unknown[] | undefined,
  ): Promise<unknown> {
    if (signal?.aborted) return Promise.reject(new AbortError(signal.reason));
    const to = this.scheduler.pick(driver, key);
    // Every failure rejects, never throws: a caller handles one kind of failure, not two.
    if (to < 0) return Promise.reject(this.scheduler.refusal(to, driver, key));
    const endpoint = this.endpoint;
    if (endpoint.queuedRequests >= this.maxQueue) return Promise.reject(new QueueFullError(this.maxQueue));
    if (signal === undefined) {
      return new Promise((resolve, reject) => {
        endpoint.request(to, name, arg, priority, transfer, resolve, reject);
      });
    }
    return new Promise((resolve, reject) => {
      const onAbort = () => this.abort(pending, signal.reason);
      const done = () => signal.removeEventListener('abort', onAbort);
      const pending = endpoint.request(
        to,
        name,
        arg,
        priority,
        transfer,
        (v) => {
          done();
          resolve(v);
        },
        (e) => {
          done();
          reject(e);
        },
      );
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  /**
   * Driver thread `t` died for good: what this thread sent it and is still waiting for (queued or
   * written) rejects now with DriverClosedError, and later tasks for it are refused; scheduled
   * tasks go to the other drivers.
   */
  driverDown(t: number, why: string): void {
    this.scheduler.markDown(t, why);
    this.endpoint.targetDown(t, () => new DriverClosedError(t - 1, why));
  }

  private abort(pending: Pending, reason: unknown): void {
    const endpoint = this.endpoint;
    if (endpoint.pending.get(pending.id) !== pending) return; // already settled
    // Still queued: it is never sent. Otherwise the driver gets the signal (cooperative).
    if (pending.queued === null) endpoint.sendAbort(pending.to, pending.id);
    endpoint.fail(pending.id, new AbortError(reason));
  }
}
