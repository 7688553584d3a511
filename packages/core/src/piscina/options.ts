/**
 * The piscina facade's constructor options: each one is honoured or rejected by name, none is
 * accepted and ignored. The decisions, where Gatio's model differs from piscina's:
 *  - maxThreads: the number of drivers, at most one per usable CPU (a maximum, so a larger value
 *    gives one driver per CPU).
 *  - minThreads: every driver starts at once and runs until close(), so at least minThreads
 *    threads always run; it may not exceed the driver count. The pool never shrinks when idle.
 *  - idleTimeout: Gatio drivers never exit when idle (an idle driver parks and costs no CPU).
 *    Accepted where piscina would not stop a thread either: Infinity, or no driver above minThreads
 *    (piscina's default minThreads is half the CPUs); any other value is rejected.
 *  - concurrentTasksPerWorker: honoured by the facade (at most drivers x n tasks in flight, the
 *    rest wait in its queue). Without it a driver takes any number of tasks, as Gatio does.
 *  - closeTimeout: close()'s deadline (the runtime's shutdown.timeoutMs), 30 s as in piscina.
 *  - workerData: copied to every driver, read there from '@gatio/core/piscina'.
 */
import { pathToFileURL } from 'node:url';
import { isAbsolute, resolve } from 'node:path';
import type { ResourceLimits } from 'node:worker_threads';
import { InvalidOptionError, UnsupportedOptionError } from '../errors';
import { checkWorkerData } from '../runtime/options';

export interface PiscinaOptions {
  filename: string | URL;
  name?: string;
  minThreads?: number;
  maxThreads?: number;
  idleTimeout?: number;
  maxQueue?: number | 'auto';
  concurrentTasksPerWorker?: number;
  resourceLimits?: ResourceLimits;
  workerData?: unknown;
  closeTimeout?: number;
}

/** What the facade runs with, once every option is checked. */
export interface PiscinaPlan {
  filename: string;
  name: string | undefined;
  drivers: number;
  maxQueue: number;
  /** Tasks the facade lets into the runtime at once (drivers x concurrentTasksPerWorker). */
  capacity: number;
  closeTimeout: number;
  resourceLimits: ResourceLimits | undefined;
  workerData: unknown;
}

const SUPPORTED = new Set([
  'filename',
  'name',
  'minThreads',
  'maxThreads',
  'idleTimeout',
  'maxQueue',
  'concurrentTasksPerWorker',
  'resourceLimits',
  'workerData',
  'closeTimeout',
]);

/** What to do instead, for piscina options the facade does not implement. */
const HINTS: Record<string, string> = {
  env: 'drivers share the process environment',
  argv: 'drivers share process.argv',
  execArgv: 'drivers run with the process execArgv',
  useAtomics: 'Gatio always uses shared-memory rings and Atomics',
  atomics: 'Gatio always uses shared-memory rings and Atomics',
  taskQueue: 'Gatio queues by priority; use Runtime and run(arg, { priority })',
  loadBalancer: "Gatio places tasks least-loaded first; use Runtime with policy, or run(arg, { driver, key })",
  stricterFIFO: 'the facade queue is first in, first out',
  niceIncrement: 'drivers are pinned to cores instead',
  trackUnmanagedFds: 'not implemented',
  recordTiming: 'use utilization, or Runtime#stats()',
  workerHistogram: 'use Runtime#stats()',
};

const IDLE_HINT =
  'Gatio drivers all start at once and never exit when idle (an idle driver parks and costs no CPU), ' +
  'so the pool cannot shrink to minThreads; drop idleTimeout, pass idleTimeout: Infinity, or set minThreads to maxThreads';

export function resolvePiscinaOptions(options: PiscinaOptions, cpus: number): PiscinaPlan {
  if (typeof options !== 'object' || options === null) throw new InvalidOptionError('options', 'an object', options);
  for (const key of Object.keys(options)) {
    if (!SUPPORTED.has(key)) throw new UnsupportedOptionError(key, HINTS[key] ?? 'unknown option');
  }
  const { filename, name, minThreads, maxThreads, idleTimeout, maxQueue, concurrentTasksPerWorker, closeTimeout } = options;
  let file: string;
  if (filename instanceof URL || (typeof filename === 'string' && filename.startsWith('file:'))) file = String(filename);
  else if (typeof filename === 'string' && filename.length > 0) file = pathToFileURL(isAbsolute(filename) ? filename : resolve(filename)).href;
  else throw new InvalidOptionError('filename', 'the task module path or file URL', filename);
  if (name !== undefined && name !== null && typeof name !== 'string') throw new InvalidOptionError('name', 'a string', name);

  if (maxThreads !== undefined && !(Number.isInteger(maxThreads) && maxThreads >= 1)) {
    throw new InvalidOptionError('maxThreads', 'a positive integer', maxThreads);
  }
  const drivers = Math.min(maxThreads ?? cpus, cpus);
  if (minThreads !== undefined) {
    if (!(Number.isInteger(minThreads) && minThreads >= 0)) throw new InvalidOptionError('minThreads', 'a non-negative integer', minThreads);
    if (maxThreads !== undefined && minThreads > maxThreads) {
      throw new InvalidOptionError('minThreads', `at most maxThreads (${maxThreads})`, minThreads);
    }
    if (minThreads > drivers) {
      throw new InvalidOptionError('minThreads', `at most ${drivers}: Gatio runs one driver per usable CPU`, minThreads);
    }
  }
  if (idleTimeout !== undefined) {
    if (!(idleTimeout === Infinity || (Number.isInteger(idleTimeout) && idleTimeout >= 0))) {
      throw new InvalidOptionError('idleTimeout', 'a non-negative integer (ms) or Infinity', idleTimeout);
    }
    // piscina stops the idle threads above minThreads (by default half the CPUs, at most
    // maxThreads) after idleTimeout: the same only where no driver is above that minimum.
    const min = minThreads ?? Math.min(Math.max(Math.floor(cpus / 2), 1), maxThreads ?? Infinity);
    if (idleTimeout !== Infinity && min < drivers) throw new UnsupportedOptionError('idleTimeout', IDLE_HINT);
  }
  let capacity = Infinity;
  if (concurrentTasksPerWorker !== undefined) {
    if (!(Number.isInteger(concurrentTasksPerWorker) && concurrentTasksPerWorker >= 1)) {
      throw new InvalidOptionError('concurrentTasksPerWorker', 'a positive integer', concurrentTasksPerWorker);
    }
    capacity = drivers * concurrentTasksPerWorker;
  }
  let queue: number;
  if (maxQueue === undefined) queue = Infinity;
  else if (maxQueue === 'auto') queue = drivers * drivers;
  else if ((Number.isInteger(maxQueue) && maxQueue >= 0) || maxQueue === Infinity) queue = maxQueue;
  else throw new InvalidOptionError('maxQueue', "a non-negative integer, Infinity or 'auto'", maxQueue);
  if (closeTimeout !== undefined && !(Number.isInteger(closeTimeout) && closeTimeout >= 0)) {
    throw new InvalidOptionError('closeTimeout', 'a non-negative integer (ms)', closeTimeout);
  }
  checkWorkerData(options.workerData);
  return {
    filename: file,
    name: name ?? undefined,
    drivers,
    maxQueue: queue,
    capacity,
    closeTimeout: closeTimeout ?? 30_000,
    resourceLimits: options.resourceLimits,
    workerData: options.workerData,
  };
}
