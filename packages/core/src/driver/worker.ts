/**
 * Entry point of a driver thread (a worker_thread). Start-up steps, in order:
 *  1. pin this OS thread to the driver's CPU (before anything else runs here);
 *  2. on the first start of its TPC, first-touch the TPC arena from this node;
 *  3. load the task module (if the runtime has one), then start this driver's services;
 *  4. report 'ready' (OS thread id, affinity read back, service reports) and wait for 'go';
 *  5. on 'go', serve and pump the rings until told to close.
 * Shutdown: on 'close' the driver closes its services, finishes its running tasks and what it
 * awaits from other drivers, and reports 'closed'; it goes on answering the others (their work may
 * still need it) until the main thread, once every driver reported, terminates them together.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { pinThread, threadAffinity, threadId, yieldThread } from '@gatio/native';
import { current } from '../current';
import { DriverCrashedError, TaskModuleLoadError } from '../errors';
import { Endpoint } from '../mesh/endpoint';
import type { OobRecord } from '../mesh/records';
import { encodeFailure, errorToWire, wireToError } from '../mesh/wire-error';
import { STAT_BUSY_MS_F64, STAT_COMPLETED, STAT_FAILED, STAT_RUNNING } from '../ring/layout';
import { Scheduler } from '../runtime/scheduler';
import { Submitter } from '../runtime/submitter';
import { DriverServices } from '../service/on-driver';
import { Executor } from './executor';
import type { DriverData, FromDriver, ToDriver } from './messages';
import { TaskModule } from './task-module';

const data = workerData as DriverData;
const port = parentPort!;
const post = (msg: FromDriver, transfer?: readonly unknown[]) =>
  port.postMessage(msg, transfer as Parameters<typeof port.postMessage>[1]);

async function main(): Promise<void> {
  const { plan, driver } = data;
  const self = driver.id + 1;
  try {
    pinThread(driver.cpu);
  } catch (error) {
    return post({ t: 'failed', code: (error as { code?: string }).code ?? 'ERR', message: (error as Error).message });
  }
  if (data.touchArena) {
    // Zero one byte per page: the kernel places each page on the node of the first thread that
    // touches it. Nothing else has written this arena yet (the main thread waits for 'ready').
    const bytes = new Uint8Array(plan.arenas[driver.tpc + 1]);
    for (let i = 0; i < bytes.length; i += 4096) bytes[i] = 0;
  }

  const endpoint = new Endpoint(plan, self, data.gen, data.spinMs);
  endpoint.idleYield = yieldThread;
  // Before the task module loads: its top level may read current.workerData (or the piscina
  // facade's isWorkerThread / workerData, which read `current`).
  current.enter(data.workerData);
  let module: TaskModule;
  try {
    module = data.filename === '' ? TaskModule.none() : await TaskModule.load(data.filename);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    const err = new TaskModuleLoadError(data.filename, reason);
    return post({ t: 'failed', code: err.code, message: err.message });
  }

  const executor = new Executor(endpoint, module, driver, current, plan.ctrl.length);
  endpoint.hooks = {
    onRequest: (from, id, name, arg) => executor.onRequest(from, id, name, arg),
    onAbort: (from, id) => executor.onAbort(from, id),
    decodeError: wireToError,
    encodeError: errorToWire,
    postOob: (record, transfer) => post(record, transfer),
    encodeFailed: (cause) => encodeFailure('value', cause),
  };

  // Stats for Runtime#stats, on this driver's own line of its control block.
  const ctrl = plan.ctrl[self];
  const stats = new Int32Array(plan.arenas[ctrl.arena], ctrl.offset, 64);
  const busy = new Float64Array(plan.arenas[ctrl.arena], ctrl.offset, 32);
  const publishStats = () => {
    // Atomics.store: read by the main thread at any time (stats()); plain stores could tear.
    Atomics.store(stats, STAT_COMPLETED, executor.completed);
    Atomics.store(stats, STAT_FAILED, executor.failed);
    Atomics.store(stats, STAT_RUNNING, executor.running);
    busy[STAT_BUSY_MS_F64] = endpoint.busyMs; // a monotonic figure; a stale read is harmless
  };
  endpoint.afterBatch = publishStats;
  // Async tasks finish between batches, possibly after the pump parked: publish those too, so
  // stats() is current once the caller saw the answer (published before the answer is written).
  executor.onAsyncSettled = publishStats;

  const scheduler = new Scheduler(data.drivers, data.policy, endpoint.inflight);
  const submitter = new Submitter(endpoint, scheduler, Infinity);
  current.bind(driver, data.drivers, (arg, options) => submitter.run(arg, options));
  for (const d of data.down) submitter.driverDown(d.thread, d.why);

  // Services (tcp, udp, http, ...): opened once tasks can run, serving only after 'go'.
  let services: DriverServices;
  try {
    services = await DriverServices.start(data.services, { driver, drivers: data.drivers, current });
  } catch (error) {
    const e = error as Error & { code?: string };
    return post({ t: 'failed', code: e.code ?? 'ERR', message: e.message });
  }

  // Closing: report 'closed' once, when nothing runs here, nothing is awaited from other drivers
  // and the services are closed. Checked on the events that change one of those (no polling).
  let closing = false;
  let closed = false;
  let servicesClosed = services.empty;
  const maybeClosed = () => {
    if (closed || !closing || !servicesClosed || executor.running !== 0 || endpoint.pending.size !== 0) return;
    closed = true;
    post({ t: 'closed' });
  };
  const startClosing = () => {
    closing = true;
    // Sync tasks finish inside a batch; async ones may finish while the pump is parked (checked
    // after their answer is written); work awaited from other drivers when its last answer arrives.
    endpoint.afterBatch = () => {
      publishStats();
      maybeClosed();
    };
    executor.onAsyncSettled = () => {
      publishStats();
      queueMicrotask(maybeClosed);
    };
    endpoint.onIdle = maybeClosed;
    if (!services.empty) {
      const done = () => {
        servicesClosed = true;
        maybeClosed();
      };
      services.close().then(done, done);
    }
    maybeClosed();
  };
  port.on('message', (msg: ToDriver) => {
    switch (msg.t) {
      case 'go':
        endpoint.start();
        services.serve();
        return;
      case 'rec':
        return endpoint.receiveOob(msg as OobRecord);
      case 'metrics':
        return post({ t: 'metrics', seq: msg.seq, services: services.stats() });
      case 'crashed':
        endpoint.failTarget(msg.thread, msg.gen, () => new DriverCrashedError(msg.thread - 1, msg.reason, msg.restarting));
        if (!msg.restarting) submitter.driverDown(msg.thread, msg.why);
        return;
      case 'down':
        submitter.driverDown(msg.thread, msg.why);
        return;
      case 'close':
        if (!closing) startClosing();
        return;
    }
  });
  post({ t: 'ready', threadId: threadId(), affinity: threadAffinity(), services: services.reports() });
}

void main();
