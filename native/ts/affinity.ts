// Pinning of the calling OS thread. In a worker_thread this pins that worker's own thread, which
// is how a Gatio driver binds itself to its core.
import { binding, call } from './binding';
import { CpuNotAllowedError, InvalidArgError, InvalidCpuError, formatCpus } from './errors';
import { MAX_CPUS, checkCpu, checkLength, describe, noArgs } from './validate';

/**
 * Pins the calling thread (main or worker) to `cpus` with sched_setaffinity(0, ...). Every CPU must
 * be in the process's allowed set (topology().allowed).
 */
export function pinThread(cpus: number | number[]): void {
  if (arguments.length !== 1) {
    throw new InvalidArgError(`pinThread(cpus) takes 1 argument, got ${arguments.length}`);
  }
  if (typeof cpus !== 'number' && !Array.isArray(cpus)) {
    throw new InvalidArgError(
      `pinThread(cpus): cpus must be a CPU id or an array of CPU ids, got ${describe(cpus)}`,
    );
  }
  const allowed = call((b) => b.processAffinity());
  let list: number[];
  if (typeof cpus === 'number') {
    list = [checkCpu(cpus, 'pinThread(cpus): cpus', allowed)];
  } else {
    if (cpus.length === 0) {
      throw new InvalidCpuError(
        `pinThread(cpus): cpus must not be empty; pick CPUs from this process's allowed CPU set ${formatCpus(allowed)}`,
        cpus,
      );
    }
    checkLength(cpus, 'pinThread(cpus): cpus', MAX_CPUS);
    list = cpus.map((cpu, i) => checkCpu(cpu, `pinThread(cpus): cpus[${i}]`, allowed));
  }
  for (const cpu of list) {
    if (!allowed.includes(cpu)) throw new CpuNotAllowedError(cpu, allowed);
  }
  call((b) => b.pinThread(list));
}

/** The calling thread's CPU affinity (sched_getaffinity(0)), ascending. */
export function threadAffinity(): number[] {
  noArgs('threadAffinity', arguments.length);
  return call((b) => b.threadAffinity());
}

/** The calling thread's kernel thread id (gettid()); matches /proc/self/task/<tid>. */
export function threadId(): number {
  noArgs('threadId', arguments.length);
  return call((b) => b.threadId());
}

/**
 * Gives the calling thread's core to another runnable thread, if any (sched_yield). Gatio's idle
 * drivers call it while they poll, so polling never starves the thread that feeds them.
 */
export function yieldThread(): void {
  noArgs('yieldThread', arguments.length);
  binding().yieldThread();
}
