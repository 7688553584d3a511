/**
 * The piscina facade's own queue: tasks over concurrentTasksPerWorker x drivers wait here, first
 * in, first out, until a task in flight settles. A waiting task whose signal fires leaves the
 * queue at once, rejected with AbortError. Main thread only.
 */
import { AbortError } from '../errors';
import type { RunOptions } from '../runtime/submitter';

export class Waiting {
  /** Settled (aborted or rejected) while waiting: skipped when its turn comes. */
  gone = false;
  resolve!: (value: unknown) => void;
  reject!: (error: unknown) => void;
  onAbort: (() => void) | null = null;

  constructor(
    readonly task: unknown,
    readonly opts: RunOptions | undefined,
  ) {}

  /** Its turn came: the caller's promise follows the run that now carries it. */
  settle(run: Promise<unknown>): void {
    if (this.onAbort !== null) this.opts!.signal!.removeEventListener('abort', this.onAbort);
    this.resolve(run);
  }
}

export class WaitQueue {
  private items: Waiting[] = [];
  private head = 0;
  /** Tasks waiting (not aborted). */
  size = 0;
  private emptiedWaiters: (() => void)[] = [];

  /** Queues a task; `onLeave` runs when an abort takes it out of the queue. */
  push(task: unknown, opts: RunOptions | undefined, onLeave: () => void): Promise<unknown> {
    const w = new Waiting(task, opts);
    const promise = new Promise<unknown>((resolve, reject) => {
      w.resolve = resolve;
      w.reject = reject;
    });
    const signal = opts?.signal;
    if (signal !== undefined) {
      w.onAbort = () => {
        this.remove(w, new AbortError(signal.reason));
        onLeave();
      };
      signal.addEventListener('abort', w.onAbort, { once: true });
    }
    this.items.push(w);
    this.size++;
    return promise;
  }

  /** The next waiting task, or undefined. */
  shift(): Waiting | undefined {
    while (this.head < this.items.length) {
      const w = this.items[this.head++];
      if (w.gone) continue;
      this.size--;
      this.compact();
      return w;
    }
    return undefined;
  }

  /** Rejects every waiting task (destroy). */
  rejectAll(error: unknown): void {
    for (let w = this.shift(); w !== undefined; w = this.shift()) {
      if (w.onAbort !== null) w.opts!.signal!.removeEventListener('abort', w.onAbort);
      w.reject(error);
    }
  }

  /** Resolves true once the queue is empty, false if `timeoutMs` passes first. */
  emptied(timeoutMs: number): Promise<boolean> {
    if (this.size === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.emptiedWaiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  private remove(w: Waiting, error: unknown): void {
    if (w.gone) return;
    w.gone = true;
    this.size--;
    w.reject(error);
    this.compact();
  }

  /** Drops the consumed prefix now and then; tells close() when the queue ran empty. */
  private compact(): void {
    if (this.size === 0) {
      this.items = [];
      this.head = 0;
      const waiters = this.emptiedWaiters;
      this.emptiedWaiters = [];
      for (const done of waiters) done();
    } else if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
}
