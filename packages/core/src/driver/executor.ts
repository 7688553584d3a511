/**
 * Runs the requests a driver receives. Sync tasks answer before the next record is read; async
 * ones (a returned thenable) answer when they settle, and many run at once. A task gets
 * (arg, ctx): ctx.signal (created on first use), ctx.run (hand work to another driver), ctx.driver.
 */
import type { Endpoint } from '../mesh/endpoint';
import { REPLY_THREAD_MASK } from '../mesh/records';
import type { CurrentDriver } from '../current';
import type { RunOptions } from '../runtime/submitter';
import type { DriverInfo } from '../runtime/scheduler';
import { UnknownTaskError } from '../errors';
import { encodeFailure } from '../mesh/wire-error';
import type { TaskModule } from './task-module';

export class TaskContext {
  private controller: AbortController | null = null;
  aborted = false;
  abortReason: unknown = undefined;

  constructor(
    readonly driver: DriverInfo,
    private readonly currentDriver: CurrentDriver,
  ) {}

  /** Fires when the caller aborts this task. Created lazily: most tasks never look at it. */
  get signal(): AbortSignal {
    if (this.controller === null) {
      this.controller = new AbortController();
      if (this.aborted) this.controller.abort(this.abortReason);
    }
    return this.controller.signal;
  }

  abort(reason: unknown): void {
    this.aborted = true;
    this.abortReason = reason;
    this.controller?.abort(reason);
  }

  run<R = unknown>(arg: unknown, options?: RunOptions): Promise<R> {
    return this.currentDriver.run<R>(arg, options);
  }
}

export class Executor {
  completed = 0;
  failed = 0;
  running = 0;
  /** Called when an async task settled outside a batch (the driver republishes its stats). */
  onAsyncSettled: () => void = () => {};
  /** Async tasks still running, per sender thread, by request id (for abort). */
  private readonly live: Map<number, TaskContext>[];

  constructor(
    private readonly endpoint: Endpoint,
    private readonly module: TaskModule,
    private readonly driver: DriverInfo,
    private readonly currentDriver: CurrentDriver,
    threads: number,
  ) {
    this.live = Array.from({ length: threads }, () => new Map());
  }

  /** `from`: the sender with its reply tag (Endpoint's replyTo), handed back to respond(). */
  onRequest(from: number, id: number, name: string | undefined, arg: unknown): void {
    const fn = this.module.lookup(name);
    if (fn instanceof UnknownTaskError) {
      this.failed++;
      return this.endpoint.respond(from, id, false, fn);
    }
    const ctx = new TaskContext(this.driver, this.currentDriver);
    let result: unknown;
    this.running++;
    try {
      result = fn(arg, ctx);
    } catch (error) {
      this.running--;
      this.failed++;
      return this.endpoint.respond(from, id, false, error);
    }
    let then: unknown;
    try {
      then = result !== null && typeof result === 'object' ? (result as PromiseLike<unknown>).then : undefined;
    } catch (cause) {
      // The result cannot be read (a `then` getter or a Proxy trap threw): only this task fails.
      this.running--;
      this.failed++;
      return this.endpoint.respond(from, id, false, encodeFailure('result', cause));
    }
    if (typeof then !== 'function') {
      this.running--;
      this.completed++;
      return this.endpoint.respond(from, id, true, result);
    }
    const live = this.live[from & REPLY_THREAD_MASK];
    live.set(id, ctx);
    const onRejected = (error: unknown) => {
      live.delete(id);
      this.running--;
      this.failed++;
      this.onAsyncSettled();
      this.endpoint.respond(from, id, false, error);
    };
    try {
      (then as PromiseLike<unknown>['then']).call(
        result,
        (value) => {
          live.delete(id);
          this.running--;
          this.completed++;
          this.onAsyncSettled();
          this.endpoint.respond(from, id, true, value);
        },
        onRejected,
      );
    } catch (error) {
      onRejected(error); // a thenable whose then() throws: rejected, as `await` would
    }
  }

  onAbort(from: number, id: number): void {
    this.live[from].get(id)?.abort(new Error('aborted by the caller'));
  }
}
