/**
 * Runtime: the main thread's view of a Gatio program. Owns the TPC arenas, starts one pinned driver
 * per chosen CPU, places tasks and restarts drivers that die.
 *
 * Shutdown steps (close): 1. refuse new tasks; 2. wait until every accepted task settled;
 * 3. tell each driver to close (it finishes what it runs, including work from other drivers);
 * 4. terminate the driver threads; 5. stop the main pump.
 * destroy(): reject everything pending at once, then terminate the drivers.
 */
import { EventEmitter } from 'node:events';
import { channel } from 'node:diagnostics_channel';
import { CredentialsChangedError, DriverCrashedError, DriverStartError, RuntimeClosedError, RuntimeDestroyedError, TaskEncodeError } from '../errors';
import type { DriverData, FromDriver } from '../driver/messages';
import { Endpoint, type OobRecord } from '../mesh/endpoint';
import { planMesh, type MeshPlan } from '../mesh/plan';
import { errorToWire, wireToError } from '../mesh/wire-error';
import { CTRL_STATE, STATE_AWAKE, STAT_BUSY_MS_F64, STAT_COMPLETED, STAT_FAILED, STAT_RUNNING } from '../ring/layout';
import { DriverHandle } from './driver-handle';
import { loadNet, resolveOptions, type ResolvedOptions, type RuntimeOptions } from './options';
import { Scheduler, type DriverInfo, type DriverKind } from './scheduler';
import { Submitter, type RunOptions } from './submitter';
import { formatMetrics } from './metrics';
import { installSignalHandlers } from './shutdown';
import { credentialsChange, readCredentials } from './credentials';

/** diagnostics_channel channels published on the main thread. */
const driverStartChannel = channel('gatio:driver:start');
const driverCrashChannel = channel('gatio:driver:crash');
const runtimeCloseChannel = channel('gatio:runtime:close');

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

/**
 * Events: 'crash' ({ driver, reason }) when a driver dies (it is restarted unless restart: false),
 * 'idle' when the last pending task settled, 'error' (CredentialsChangedError) when a driver
 * serving ports cannot be restarted because the process credentials changed since start (the
 * runtime is then destroyed; without an 'error' listener this is a process warning), or
 * (PortConfigMismatchError) when a restarted driver loaded other ports than the runtime declared
 * (say, a handler file changed since start): it is stopped without serving.
 */
export class Runtime extends EventEmitter {
  private readonly submitter: Submitter;
  private state: 'running' | 'closed' | 'destroyed' = 'running';
  private closing: Promise<void> | null = null;
  private idleWaiters: (() => void)[] = [];
  private uninstallSignals: (() => void) | null = null;
  private readonly credentials = readCredentials();
  private metricsSeq = 0;
  private metricsWaiters = new Map<number, { left: number; net: (Record<string, number> | undefined)[]; done: () => void }>();

  private constructor(
    private readonly opts: ResolvedOptions,
    private readonly plan: MeshPlan,
    private readonly endpoint: Endpoint,
    private readonly handles: DriverHandle[],
  ) {
    super();
    this.submitter = new Submitter(endpoint, new Scheduler(opts.drivers, opts.policy, endpoint.inflight), opts.maxQueue);
  }

  /** Starts every driver (pinned, task module loaded) and resolves once all are ready. */
  static async start(options: RuntimeOptions): Promise<Runtime> {
    const opts = resolveOptions(options);
    const plan = planMesh(
      opts.drivers.map((d) => d.tpc),
      opts.ringBytes,
    );
    const endpoint = new Endpoint(plan, 0, 0, opts.spinMs);
    const handles = opts.drivers.map((d) => new DriverHandle(d));
    const rt = new Runtime(opts, plan, endpoint, handles);
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
    if (opts.ports.length > 0) {
      try {
        loadNet().checkReports(opts.ports, handles.map((h) => h.netReport));
      } catch (error) {
        await rt.destroyNow();
        throw error;
      }
    }
    for (const h of handles) {
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
      const sum = (k: 'submitted' | 'completed' | 'failed' | 'running' | 'queued' | 'restarts') =>
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
      await Promise.all(
        this.handles.map(async (h) => {
          const worker = h.worker;
          if (worker === null) return;
          // Still starting (a restart under way): it has served nothing yet, and must not start.
          if (!h.live) return void (await worker.terminate());
          const closed = new Promise<void>((resolve) => {
            worker.on('message', (m: FromDriver) => m.t === 'closed' && resolve());
            worker.once('exit', () => resolve());
          });
          h.live = false; // its exit is expected from now on
          h.ref(); // keep the process alive until the driver has finished
          h.post({ t: 'close' });
          await closed;
          await worker.terminate();
        }),
      );
      this.endpoint.stop();
    })();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), timeoutMs);
    });
    this.closing = Promise.race([graceful, deadline]).then(async (how) => {
      clearTimeout(timer);
      if (how === 'late') await this.destroyNow();
      runtimeCloseChannel.publish({ graceful: how !== 'late' });
    });
    return this.closing;
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
    for (const h of this.handles) h.live = false;
    return Promise.all(this.handles.map((h) => h.worker?.terminate())).then(() => this.endpoint.stop());
  }

  /**
   * Figures in the Prometheus text format: per driver tasks (submitted, completed, failed,
   * running, queued), restarts, busy ratio, and what each driver's networking reports.
   */
  async metrics(): Promise<string> {
    const live = this.handles.filter((h) => h.live);
    const net: (Record<string, number> | undefined)[] = new Array(this.handles.length).fill(undefined);
    if (this.opts.ports.length > 0 && live.length > 0) {
      const seq = ++this.metricsSeq;
      await new Promise<void>((done) => {
        this.metricsWaiters.set(seq, { left: live.length, net, done });
        for (const h of live) h.post({ t: 'metrics', seq });
        // A driver that dies meanwhile must not hang the scrape.
        setTimeout(() => this.metricsWaiters.get(seq)?.done(), 1000).unref();
      });
      this.metricsWaiters.delete(seq);
    }
    return formatMetrics(this.stats().drivers, net);
  }

  // ---------------------------------------------------------------- internals

  private wireEndpoint(): void {
    const endpoint = this.endpoint;
    endpoint.hooks = {
      onRequest: () => {}, // the main thread runs no tasks
      onAbort: () => {},
      decodeError: wireToError,
      encodeError: errorToWire,
      postOob: (record, transfer) => this.handles[record.to - 1].worker?.postMessage(record, transfer as never),
      encodeFailed: (cause) => new TaskEncodeError('argument', cause instanceof Error ? cause.message : String(cause)),
    };
    // Drivers keep the process alive only while tasks are pending (like an idle worker pool).
    endpoint.onBusy = () => {
      for (const h of this.handles) h.ref();
    };
    endpoint.onIdle = () => {
      if (this.opts.ports.length === 0) for (const h of this.handles) h.unref();
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
      ports: this.opts.ports,
    };
    return h.spawn(
      data,
      this.opts.resourceLimits,
      (msg) => this.onDriverMessage(msg, h),
      (reason) => this.onCrash(h, reason),
    ).then(() => {
      // Like an idle worker pool, drivers keep the process alive only while tasks are pending;
      // a runtime that serves ports keeps it alive like a listening server, until close().
      if (this.endpoint.pending.size === 0 && this.opts.ports.length === 0) h.unref();
    });
  }

  private onDriverMessage(msg: FromDriver, h: DriverHandle): void {
    if (msg.t === 'metrics') {
      const w = this.metricsWaiters.get(msg.seq);
      if (w) {
        w.net[h.info.id] = msg.net;
        if (--w.left === 0) w.done();
      }
      return;
    }
    if (msg.t !== 'rec') return;
    const rec = msg as OobRecord;
    if (rec.to === 0) this.endpoint.receiveOob(rec);
    else this.handles[rec.to - 1].post(rec); // driver to driver, relayed (copied, not transferred)
  }

  /** A driver died: fail what it held, tell the others, restart it on its CPU. */
  private onCrash(h: DriverHandle, reason: string): void {
    if (this.state === 'destroyed') return;
    const thread = h.info.id + 1;
    const gens = new Int32Array(this.plan.arenas[0]);
    const gensIdx = this.plan.gens >> 2;
    const oldGen = this.endpoint.genOf(thread);
    const newGen = (oldGen + 1) & 0xffff;
    // Atomics.store: from here on every producer tags its requests with the new incarnation.
    Atomics.store(gens, gensIdx + thread, newGen);
    h.restarts++;
    this.emit('crash', { driver: h.info.id, reason });
    driverCrashChannel.publish({ driver: h.info.id, cpu: h.info.cpu, reason });
    const error = () => new DriverCrashedError(h.info.id, reason);
    this.endpoint.failTarget(thread, oldGen, error);
    for (const other of this.handles) if (other !== h && other.live) other.post({ t: 'crashed', thread, gen: oldGen, reason });
    const ctrl = this.plan.ctrl[thread];
    // Atomics.store: the dead thread may have left PARKED; producers must ring the new one.
    Atomics.store(new Int32Array(this.plan.arenas[ctrl.arena]), (ctrl.offset >> 2) + CTRL_STATE, STATE_AWAKE);
    if (!this.opts.restart || this.state !== 'running') return;
    // A restarted driver serving ports creates a new io_uring: refuse if the credentials changed
    // (the other drivers' rings keep the old ones, and @gatio/net stops those on its own check).
    const changed = this.opts.ports.length > 0 ? credentialsChange(this.credentials) : '';
    if (changed !== '') {
      const refused = new CredentialsChangedError(h.info.id, changed);
      for (const id of [...this.endpoint.pending.keys()]) this.endpoint.fail(id, refused);
      void this.destroyNow();
      if (this.listenerCount('error') > 0) this.emit('error', refused);
      else process.emitWarning(refused.message, 'GatioWarning');
      return;
    }
    this.spawn(h, newGen, false).then(
      () => {
        // Closed or destroyed while it started: close() did not wait for it, so stop it here.
        if (this.state !== 'running') return void h.worker?.terminate();
        // As at start: it serves ('go' arms its accepts) only once its report matches the ports.
        if (this.opts.ports.length > 0) {
          try {
            loadNet().checkReports(this.opts.ports, this.handles.map((x) => x.netReport), h.info.id);
          } catch (error) {
            h.live = false; // its exit is not a crash to restart from
            void h.worker?.terminate();
            if (this.listenerCount('error') > 0) this.emit('error', error);
            else process.emitWarning((error as Error).message, 'GatioWarning');
            return;
          }
        }
        h.post({ t: 'go' });
        driverStartChannel.publish({ driver: h.info.id, cpu: h.info.cpu, threadId: h.threadId, restart: true });
      },
      (err: Error) => {
        if (this.state !== 'running') return; // stopped on purpose by close() or destroy()
        process.emitWarning(`gatio: driver ${h.info.id} could not be restarted: ${err.message}`, 'GatioWarning');
      },
    );
  }
}

export type { RuntimeOptions, RunOptions, DriverInfo };
