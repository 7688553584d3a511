/**
 * A drop-in facade for code moving from piscina: `new Piscina({ filename })`, `run(task, opts)`,
 * `close()`, `destroy()`, `queueSize`, `completed`, `threads`, 'drain' and 'error' events.
 *
 * Differences, by design: threads are Gatio drivers, one per core, pinned and started together
 * (maxThreads caps their number; minThreads is accepted, all drivers start at once); an idle
 * driver parks instead of exiting (idleTimeout is accepted and has no effect); a driver runs any
 * number of async tasks at once (concurrentTasksPerWorker is accepted). Options that would change
 * behaviour and are not implemented throw UnsupportedOptionError naming them.
 */
import { EventEmitter } from 'node:events';
import { pathToFileURL } from 'node:url';
import { isAbsolute, resolve } from 'node:path';
import { DriverCrashedError, InvalidOptionError, UnsupportedOptionError } from '../errors';
import { Runtime, type DriverView } from '../runtime/runtime';
import { topology } from '@gatio/native';

export interface PiscinaOptions {
  filename: string | URL;
  name?: string;
  minThreads?: number;
  maxThreads?: number;
  idleTimeout?: number;
  maxQueue?: number | 'auto';
  concurrentTasksPerWorker?: number;
  resourceLimits?: import('node:worker_threads').ResourceLimits;
}

export interface PiscinaRunOptions {
  name?: string;
  signal?: AbortSignal | null;
  transferList?: readonly unknown[];
}

const SUPPORTED = new Set(['filename', 'name', 'minThreads', 'maxThreads', 'idleTimeout', 'maxQueue', 'concurrentTasksPerWorker', 'resourceLimits']);
const HINTS: Record<string, string> = {
  env: 'drivers share the process environment',
  argv: 'drivers share process.argv',
  execArgv: 'drivers run with the process execArgv',
  workerData: 'pass data as task arguments instead',
  useAtomics: 'Gatio always uses shared-memory rings and Atomics',
  taskQueue: 'Gatio queues by priority; use Runtime and run(arg, { priority })',
  niceIncrement: 'drivers are pinned to cores instead',
  trackUnmanagedFds: 'not implemented',
  closeTimeout: 'close() waits for every accepted task',
  recordTiming: 'use Runtime#stats()',
  workerHistogram: 'use Runtime#stats()',
  atomics: 'Gatio always uses shared-memory rings and Atomics',
};

export class Piscina extends EventEmitter {
  private readonly runtime: Promise<Runtime>;
  private rt: Runtime | null = null;
  private readonly defaultName: string | undefined;
  private inFlight = 0;
  private completedCount = 0;

  constructor(options: PiscinaOptions) {
    super();
    if (typeof options !== 'object' || options === null) throw new InvalidOptionError('options', 'an object', options);
    for (const key of Object.keys(options)) {
      if (!SUPPORTED.has(key)) throw new UnsupportedOptionError(key, HINTS[key] ?? 'unknown option');
    }
    const { filename, name, maxThreads, maxQueue } = options;
    const file =
      filename instanceof URL || (typeof filename === 'string' && filename.startsWith('file:'))
        ? String(filename)
        : typeof filename === 'string'
          ? pathToFileURL(isAbsolute(filename) ? filename : resolve(filename)).href
          : (() => {
              throw new InvalidOptionError('filename', 'the task module path or file URL', filename);
            })();
    for (const k of ['minThreads', 'maxThreads', 'idleTimeout', 'concurrentTasksPerWorker'] as const) {
      const v = options[k];
      if (v !== undefined && (!Number.isInteger(v) || v < (k === 'idleTimeout' ? 0 : 1))) {
        throw new InvalidOptionError(k, k === 'idleTimeout' ? 'a non-negative integer (ms)' : 'a positive integer', v);
      }
    }
    const cpus = topology().allowed.length;
    const drivers = Math.min(maxThreads ?? cpus, cpus);
    let queue: number;
    if (maxQueue === undefined) queue = Infinity;
    else if (maxQueue === 'auto') queue = drivers * drivers;
    else if ((Number.isInteger(maxQueue) && maxQueue >= 0) || maxQueue === Infinity) queue = maxQueue;
    else throw new InvalidOptionError('maxQueue', "a non-negative integer, Infinity or 'auto'", maxQueue);
    this.defaultName = name;
    this.runtime = Runtime.start({ filename: file, drivers, maxQueue: queue, resourceLimits: options.resourceLimits }).then((rt) => {
      this.rt = rt;
      rt.on('crash', ({ driver, reason }: { driver: number; reason: string }) => {
        if (this.listenerCount('error') > 0) this.emit('error', new DriverCrashedError(driver, reason));
      });
      return rt;
    });
    // An unhandled start failure surfaces at the first run(); keep it from crashing the process here.
    this.runtime.catch(() => {});
  }

  async run(task: unknown, options: PiscinaRunOptions = {}): Promise<unknown> {
    if (typeof options !== 'object' || options === null) throw new InvalidOptionError('options', 'an object', options);
    for (const key of Object.keys(options)) {
      if (key !== 'name' && key !== 'signal' && key !== 'transferList') {
        throw new UnsupportedOptionError(key, key === 'filename' ? 'one task module per pool; use name to pick an export' : 'unknown run() option');
      }
    }
    const rt = this.rt ?? (await this.runtime);
    const name = options.name ?? this.defaultName;
    const signal = options.signal ?? undefined;
    const opts = name === undefined && signal === undefined && options.transferList === undefined ? undefined : { name, signal, transferList: options.transferList };
    this.inFlight++;
    try {
      return await rt.run(task, opts);
    } finally {
      this.completedCount++;
      if (--this.inFlight === 0) this.emit('drain');
    }
  }

  /** Tasks waiting for room in a driver's ring. */
  get queueSize(): number {
    return this.rt?.queueSize ?? 0;
  }

  /** Tasks finished (resolved or rejected) through this pool. */
  get completed(): number {
    return this.completedCount;
  }

  /** The drivers (Gatio's threads): id, cpu, OS thread id. */
  get threads(): DriverView[] {
    return this.rt?.drivers ?? [];
  }

  async close(): Promise<void> {
    await (await this.runtime).close();
  }

  async destroy(): Promise<void> {
    await (await this.runtime).destroy();
  }
}

export { AbortError } from '../errors';
export default Piscina;
