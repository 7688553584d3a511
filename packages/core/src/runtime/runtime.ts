/**
 * Runtime: the main thread's view of a Gatio program. Owns the TPC arenas, starts one pinned driver
 * per chosen CPU, places tasks and restarts drivers that die.
 *
 * Shutdown steps (close): 1. refuse new tasks; 2. wait until every accepted task settled;
 * 3. tell each driver to close: it stops its networking and reports 'closed' once nothing runs on
 * it and it awaits nothing from other drivers, but it goes on answering them (their work may still
 * need it); 4. once every driver reported, none waits on another: terminate them together;
 * 5. stop the main pump.
 * destroy(): reject everything pending at once, then terminate the drivers.
 *
 * Every task settles: with its result, or DriverCrashedError (its driver died with it),
 * DriverClosedError (its driver is gone for good: see onExit), RuntimeClosedError (run() after
 * close) or RuntimeDestroyedError (destroy(), or close() past its deadline).
 */
import { EventEmitter } from 'node:events';
import { channel } from 'node:diagnostics_channel';
import { CredentialsChangedError, DriverCrashedError, DriverStartError, RuntimeClosedError, RuntimeDestroyedError } from '../errors';
import type { DriverData, FromDriver } from '../driver/messages';
import { Endpoint } from '../mesh/endpoint';
import type { OobRecord } from '../mesh/records';
import { planMesh, type MeshPlan } from '../mesh/plan';
import { encodeFailure, errorToWire, wireToError } from '../mesh/wire-error';
import { CTRL_STATE, STATE_AWAKE, STAT_BUSY_MS_F64, STAT_COMPLETED, STAT_FAILED, STAT_RUNNING } from '../ring/layout';
import { DriverHandle } from './driver-handle';
import { resolveOptions, type ResolvedOptions, type RuntimeOptions } from './options';
import { PlannedServices } from '../service/planned';
import { Scheduler, type DriverInfo } from './scheduler';
import { Submitter, type RunOptions } from './submitter';
import { formatMetrics } from './metrics';
import type { DriverStats, DriverView, TaskCounters, TpcStats } from './stats';

export type { DriverStats, DriverView, TpcStats } from './stats';
import { installSignalHandlers } from './shutdown';
import { credentialsChange, readCredentials } from './credentials';

/** diagnostics_channel channels published on the main thread. */
const driverStartChannel = channel('gatio:driver:start');
const driverCrashChannel = channel('gatio:driver:crash');
const runtimeCloseChannel = channel('gatio:runtime:close');

/**
 * Events: 'crash' ({ driver, reason }) when a driver dies (it is restarted unless restart: false),
 * 'idle' when the last pending task settled, 'error' when a driver cannot be restarted:
 * DriverStartError when every restart attempt failed (the driver is then down for good: its tasks
 * reject with DriverClosedError), CredentialsChangedError when it runs services and the process
 * credentials changed since start (the runtime is then destroyed). Without an 'error' listener
 * these are process warnings.
 */
export class Runtime extends EventEmitter {
  private readonly submitter: Submitter;
  private state: 'running' | 'closed' | 'destroyed' = 'running';
  private closing: Promise<void> | null = null;
  private idleWaiters: (() => void)[] = [];
  private uninstallSignals: (() => void) | null = null;
  private readonly credentials = readCredentials();
  private metricsSeq = 0;
  private metricsWaiters = new Map<number, { left: number; figures: (Record<string, number> | undefined)[]; done: () => void }>();

  private constructor(
    private readonly opts: ResolvedOptions,
    private readonly plan: MeshPlan,
    private readonly endpoint: Endpoint,
    private readonly handles: DriverHandle[],
    private readonly services: PlannedServices,
  ) {
    super();
    this.submitter = new Submitter(endpoint, new Scheduler(opts.drivers, opts.policy, endpoint.inflight), opts.maxQueue);
  }

  /** Starts every driver (pinned, task module loaded) and resolves once all are ready. */
  static async start(options: RuntimeOptions): Promise<Runtime> {
    const opts = resolveOptions(options);
    const services = await PlannedServices.plan(opts.services, opts.drivers);
    const plan = planMesh(
      opts.drivers.map((d) => d.tpc),
      opts.ringBytes,
    );
    const endpoint = new Endpoint(plan, 0, 0, opts.spinMs);
    const handles = opts.drivers.map((d) => new DriverHandle(d));
    const rt = new Runtime(opts, plan, endpoint, handles, services);
    rt.wireEndpoint();
    const touched = new Set<number>();
    const starts = handles.map((h) => {
      const touch = !touched.has(h.info.tpc);
      touched.add(h.info.tpc);
      return rt.spawn(h, 0, touch);
    });
    const results = await Promise.allSettled(starts);
    const failure = results.findIndex((r) => r.status === 'rejected');
    if (failure >= 0) {
      await rt.destroyNow(); // the drivers that did start are not restarted: nothing is left running
      const reason = (results[failure] as PromiseRejectedResult).reason as Error & { code?: string };
      if (reason.code && reason.code !== 'ERR' && reason.code.startsWith('GATIO_ERR_')) {
        // Keep the driver's own error class and code (module load failure, CPU not allowed, ...).
        throw wireToError({ name: 'Error', message: reason.message, stack: reason.stack ?? '', code: reason.code });
      }
      throw new DriverStartError(failure, reason.message);
    }
    if (services.size > 0) {
      try {
        services.ready((id) => handles[id].serviceReports);
      } catch (error) {
        await rt.destroyNow();
        throw error;
      }
    }
    for (const h of handles) {
      if (h.state !== 'starting') continue; // died meanwhile: its restart posts 'go'
      h.state = 'live';
      h.post({ t: 'go' });
      driverStartChannel.publish({ driver: h.info.id, cpu: h.info.cpu, threadId: h.threadId, restart: false });
    }
    endpoint.start();
    if (opts.shutdown.signals) rt.uninstallSignals = installSignalHandlers(() => rt.close());
    return rt;
  }

  /** Runs the task module's default export (or `options.name`) with `arg` on a driver. */
  run<R = unknown>(arg?: unknown, options?: RunOptions): Promise<R> {
    if (this.state !== 'running') return Promise.reject(new RuntimeClosedError(this.state));
    return this.submitter.run(arg, options) as Promise<R>;
  }

  get drivers(): DriverView[] {
    return this.handles.map((h) => ({ ...h.info, threadId: h.threadId }));
  }

  /** Tasks waiting on this thread for room in a driver's ring. */
  get queueSize(): number {
    return this.endpoint.queuedRequests;
  }

  /** Tasks accepted and not settled yet. */
  get pendingCount(): number {
    return this.endpoint.pending.size;
  }

  stats(): { tpcs: TpcStats[]; drivers: DriverStats[] } {
    const now = performance.now();
    const drivers = this.handles.map((h): DriverStats => {
      const thread = h.info.id + 1;
      const ctrl = this.plan.ctrl[thread];
      const i32 = new Int32Array(this.plan.arenas[ctrl.arena], ctrl.offset, 64);
      const f64 = new Float64Array(this.plan.arenas[ctrl.arena], ctrl.offset, 32);
      const up = now - h.startedAt;
      return {
        ...h.info,
        threadId: h.threadId,
        submitted: this.endpoint.sent[thread],
        // Atomics.load: written by the driver thread.
        completed: Atomics.load(i32, STAT_COMPLETED),
        failed: Atomics.load(i32, STAT_FAILED),
        running: Atomics.load(i32, STAT_RUNNING),
        queued: this.endpoint.backlogOf(thread),
        restarts: h.restarts,
        busyRatio: up > 0 ? Math.min(1, f64[STAT_BUSY_MS_F64] / up) : 0,
      };
    });
    const tpcs = this.opts.tpcNodes.map((node, id): TpcStats => {
      const mine = drivers.filter((d) => d.tpc === id);
      const sum = (k: keyof TaskCounters) =>
        mine.reduce((a, d) => a + d[k], 0);
      return {
        id,
        node,
        cpus: mine.map((d) => d.cpu),
        submitted: sum('submitted'),
        completed: sum('completed'),
        failed: sum('failed'),
        running: sum('running'),
        queued: sum('queued'),
        restarts: sum('restarts'),
        drivers: mine,
      };
    });
    return { tpcs, drivers };
  }

  /**
   * Stops taking tasks, lets every accepted one (and every connection) finish, then stops the
   * drivers. After `timeoutMs` (default: the shutdown option, 10 s) what is left is destroyed.
   */
  close(options: { timeoutMs?: number } = {}): Promise<void> {
    if (this.closing) return this.closing;
    if (this.state === 'running') this.state = 'closed';
    this.uninstallSignals?.();
    const timeoutMs = options.timeoutMs ?? this.opts.shutdown.timeoutMs;
    const graceful = (async () => {
      if (this.endpoint.pending.size > 0) await new Promise<void>((r) => this.idleWaiters.push(r));
      // A driver still restarting has nothing of ours left to run: stop trying.
      for (const h of this.handles) if (h.state === 'restarting') this.giveUp(h, 'the runtime closed while it was restarting', null);
      await Promise.all(this.handles.map((h) => this.closeDriver(h)));
      // Every driver is idle and awaits nothing from another: stop them together.
      for (const h of this.handles) if (h.state === 'closing') h.state = 'stopping';
      await Promise.all(this.handles.map((h) => h.worker?.terminate()));
      this.endpoint.stop();
    })();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), timeoutMs);
    });
    this.closing = Promise.race([graceful, deadline]).then(async (how) => {
      clearTimeout(timer);
      if (how === 'late') await this.destroyNow();
      this.services.stopped();
      runtimeCloseChannel.publish({ graceful: how !== 'late' });
    });
    return this.closing;
  }

  /** Tells a live driver to close; resolves once it reported 'closed' (idle) or exited. */
  private closeDriver(h: DriverHandle): Promise<void> {
    const worker = h.worker;
    if (worker === null || h.state !== 'live') return Promise.resolve();
    return new Promise<void>((resolve) => {
      worker.on('message', (m: FromDriver) => m.t === 'closed' && resolve());
      worker.once('exit', () => resolve());
      h.state = 'closing';
      h.ref(); // keep the process alive until the driver has finished
      h.post({ t: 'close' });
    });
  }

  /** Rejects every pending task and stops the drivers now. */
  destroy(): Promise<void> {
    this.uninstallSignals?.();
    this.closing = this.destroyNow();
    return this.closing;
  }

  private destroyNow(): Promise<void> {
    this.state = 'destroyed';
    for (const id of [...this.endpoint.pending.keys()]) this.endpoint.fail(id, new RuntimeDestroyedError());
    for (const h of this.handles) {
      if (h.retryTimer !== null) clearTimeout(h.retryTimer);
      h.retryTimer = null;
      h.state = 'down';
      h.downWhy = 'the runtime was destroyed';
      h.dropHeld();
    }
    return Promise.all(this.handles.map((h) => h.worker?.terminate())).then(() => {
      this.endpoint.stop();
      this.services.stopped();
    });
  }

  /**
   * Figures in the Prometheus text format: per driver tasks (submitted, completed, failed,
   * running, queued), restarts, busy ratio, and the figures each driver's services report.
   */
  async metrics(): Promise<string> {
    const live = this.handles.filter((h) => h.serving && h.worker !== null);
    const figures: (Record<string, number> | undefined)[] = new Array(this.handles.length).fill(undefined);
    if (this.services.size > 0 && live.length > 0) {
      const seq = ++this.metricsSeq;
      await new Promise<void>((done) => {
        this.metricsWaiters.set(seq, { left: live.length, figures, done });
        for (const h of live) h.post({ t: 'metrics', seq });
        // A driver that dies meanwhile must not hang the scrape.
        setTimeout(() => this.metricsWaiters.get(seq)?.done(), 1000).unref();
      });
      this.metricsWaiters.delete(seq);
    }
    return formatMetrics(this.stats().drivers, figures);
  }

  // ---------------------------------------------------------------- internals

  private wireEndpoint(): void {
    const endpoint = this.endpoint;
    endpoint.hooks = {
      onRequest: () => {}, // the main thread runs no tasks
      onAbort: () => {},
      decodeError: wireToError,
      encodeError: errorToWire,
      postOob: (record, transfer) => this.handles[record.to - 1].postRecord(record, transfer),
      encodeFailed: (cause) => encodeFailure('argument', cause),
    };
    // Drivers keep the process alive only while tasks are pending (like an idle worker pool).
    endpoint.onBusy = () => {
      for (const h of this.handles) h.ref();
    };
    endpoint.onIdle = () => {
      if (this.services.size === 0) for (const h of this.handles) h.unref();
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
      this.emit('idle');
    };
  }

  private spawn(h: DriverHandle, gen: number, touchArena: boolean): Promise<void> {
    const data: DriverData = {
      plan: this.plan,
      driver: h.info,
      drivers: this.opts.drivers,
      gen,
      filename: this.opts.filename,
      policy: this.opts.policy,
      spinMs: this.opts.spinMs,
      touchArena,
      services: this.services.forDriver(h.info.id),
      workerData: this.opts.workerData,
      down: this.handles.filter((o) => o.state === 'down').map((o) => ({ thread: o.info.id + 1, why: o.downWhy })),
    };
    return h.spawn(
      data,
      this.opts.resourceLimits,
      (msg) => this.onDriverMessage(msg, h),
      (reason) => this.onExit(h, reason),
    ).then(() => {
      // Like an idle worker pool, drivers keep the process alive only while tasks are pending;
      // a runtime with services keeps it alive like a listening server, until close().
      if (this.endpoint.pending.size === 0 && this.services.size === 0) h.unref();
    });
  }

  private onDriverMessage(msg: FromDriver, h: DriverHandle): void {
    if (msg.t === 'metrics') {
      const w = this.metricsWaiters.get(msg.seq);
      if (w) {
        w.figures[h.info.id] = msg.services;
        if (--w.left === 0) w.done();
      }
      return;
    }
    if (msg.t !== 'rec') return;
    const rec = msg as OobRecord;
    if (rec.to === 0) this.endpoint.receiveOob(rec);
    else this.handles[rec.to - 1].postRecord(rec, undefined); // driver to driver, relayed (copied, not transferred)
  }

  /**
   * A driver thread exited after its start. Expected when the runtime stops it; otherwise it
   * crashed: what it held fails with DriverCrashedError, and it is restarted on its CPU, unless
   * restart is off or the runtime is closing: then it is down for good, and what waited for it
   * fails with DriverClosedError, here and on every other driver, in this same turn.
   */
  private onExit(h: DriverHandle, reason: string): void {
    if (this.state === 'destroyed' || h.state === 'stopping' || h.state === 'down') return;
    const thread = h.info.id + 1;
    const gens = new Int32Array(this.plan.arenas[0]);
    const gensIdx = this.plan.gens >> 2;
    const oldGen = this.endpoint.genOf(thread);
    const newGen = (oldGen + 1) & 0xffff;
    // Atomics.store: from here on every producer tags its requests with the new incarnation.
    Atomics.store(gens, gensIdx + thread, newGen);
    const ctrl = this.plan.ctrl[thread];
    // Atomics.store: the dead thread may have left PARKED; producers must ring the new one.
    Atomics.store(new Int32Array(this.plan.arenas[ctrl.arena]), (ctrl.offset >> 2) + CTRL_STATE, STATE_AWAKE);
    const restart = this.opts.restart && this.state === 'running' && (h.state === 'live' || h.state === 'starting');
    this.endpoint.failTarget(thread, oldGen, () => new DriverCrashedError(h.info.id, reason, restart));
    let why = '';
    if (restart) {
      h.state = 'restarting';
      h.restarts++;
    } else {
      why = this.state === 'running' ? `it crashed (${reason}) and restart is off` : `it crashed (${reason}) while the runtime was closing`;
      this.markDown(h, why);
    }
    for (const other of this.handles) {
      if (other !== h) other.post({ t: 'crashed', thread, gen: oldGen, reason, restarting: restart, why });
    }
    this.emit('crash', { driver: h.info.id, reason });
    driverCrashChannel.publish({ driver: h.info.id, cpu: h.info.cpu, reason });
    if (!restart) return;
    // A restarted driver running services creates a new io_uring: refuse if the credentials changed
    // (the other drivers' rings keep the old ones, and @gatio/net stops those on its own check).
    const changed = this.services.size > 0 ? credentialsChange(this.credentials) : '';
    if (changed !== '') {
      const refused = new CredentialsChangedError(h.info.id, changed);
      for (const id of [...this.endpoint.pending.keys()]) this.endpoint.fail(id, refused);
      void this.destroyNow();
      if (this.listenerCount('error') > 0) this.emit('error', refused);
      else process.emitWarning(refused.message, 'GatioWarning');
      return;
    }
    this.restart(h, newGen, 0);
  }

  /**
   * One attempt to start a new incarnation of a dead driver. A failed attempt (the thread exited
   * during start-up, say) is retried with backoff, RESTART_ATTEMPTS times in all; then the driver
   * is given up: down for good, and an 'error' event says so. Tasks for it wait meanwhile, in the
   * rings and backlogs the new incarnation reads.
   */
  private restart(h: DriverHandle, gen: number, attempt: number): void {
    h.retryTimer = null;
    if (h.state !== 'restarting') return;
    this.spawn(h, gen, false).then(
      () => {
        if (h.state !== 'restarting') {
          void h.worker?.terminate(); // closed or destroyed meanwhile
          return;
        }
        // As at start: it serves ('go' arms its accepts) only once its services accept its report
        // (say, a handler file changed since start: it is given up without serving).
        try {
          this.services.restarted(h.info.id, (id) => this.handles[id].serviceReports);
        } catch (error) {
          this.giveUp(h, `its services refused its restart (${(error as Error).message})`, error as Error);
          return;
        }
        h.state = 'live';
        h.releaseHeld();
        h.post({ t: 'go' });
        driverStartChannel.publish({ driver: h.info.id, cpu: h.info.cpu, threadId: h.threadId, restart: true });
      },
      (err: Error) => {
        if (h.state !== 'restarting') return;
        if (this.state === 'running' && attempt + 1 < RESTART_ATTEMPTS) {
          const backoff = RESTART_BACKOFF_MS * 2 ** attempt;
          h.retryTimer = setTimeout(() => this.restart(h, gen, attempt + 1), backoff);
          return;
        }
        const report = new DriverStartError(h.info.id, `it crashed and ${attempt + 1} restart attempt(s) failed, the last with: ${err.message}`);
        this.giveUp(h, `it crashed and could not be restarted (${err.message})`, report);
      },
    );
  }

  /** Stops restarting a driver: it is down for good; `report` goes to 'error' listeners. */
  private giveUp(h: DriverHandle, why: string, report: Error | null): void {
    if (h.retryTimer !== null) clearTimeout(h.retryTimer);
    h.retryTimer = null;
    void h.worker?.terminate();
    this.markDown(h, why);
    for (const other of this.handles) if (other !== h) other.post({ t: 'down', thread: h.info.id + 1, why });
    if (report === null) return;
    if (this.listenerCount('error') > 0) this.emit('error', report);
    else process.emitWarning(report.message, 'GatioWarning');
  }

  /** A driver is gone for good: fail what waits for it here, refuse tasks for it from now on. */
  private markDown(h: DriverHandle, why: string): void {
    h.state = 'down';
    h.downWhy = why;
    h.dropHeld();
    this.submitter.driverDown(h.info.id + 1, why);
  }
}

/** Attempts to restart a dead driver before it is given up; the first retry waits this, doubling. */
const RESTART_ATTEMPTS = 5;
const RESTART_BACKOFF_MS = 50;

export type { RuntimeOptions, RunOptions, DriverInfo };
