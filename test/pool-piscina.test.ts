// The piscina facade: run() and its options, and the decision for every constructor option
// (honoured, or rejected by name; none accepted and ignored).
import { Piscina, AbortError } from '@gatio/core/piscina';
import { UnsupportedOptionError, InvalidOptionError, QueueFullError, RuntimeClosedError, RuntimeDestroyedError } from '@gatio/core';
import { TASKS, allowedCpus, caught } from './helpers';
import { POOL_TASKS, gates, runGate, within } from './pool-piscina-helpers';

describe('piscina facade', () => {
  test('run, name, counters, close', async () => {
    const pool = new Piscina({ filename: TASKS, maxThreads: 2, minThreads: 1 });
    expect(await pool.run(1)).toBe(2);
    expect(await pool.run({ a: 1, b: 2 }, { name: 'add' })).toBe(3);
    const results = await Promise.all(Array.from({ length: 1000 }, (_, i) => pool.run(i)));
    expect(results.every((r, i) => r === i + 1)).toBe(true);
    expect(pool.completed).toBe(1002);
    expect(pool.queueSize).toBe(0);
    expect(pool.threads.length).toBeGreaterThanOrEqual(1);
    await pool.close();
    expect(await caught(pool.run(1))).toBeInstanceOf(RuntimeClosedError);
  });

  test('default name option, AbortError, errors', async () => {
    const pool = new Piscina({ filename: TASKS, name: 'echo', maxQueue: 'auto' });
    expect(await pool.run('x')).toBe('x');
    const ctl = new AbortController();
    const p = pool.run(60_000, { name: 'waitAbort', signal: ctl.signal });
    setTimeout(() => ctl.abort(), 20);
    const err = await caught(p);
    expect(err).toBeInstanceOf(AbortError);
    expect(err.name).toBe('AbortError');
    const failed = await caught(pool.run('bad', { name: 'fail' }));
    expect(failed).toBeInstanceOf(TypeError);
    await pool.destroy();
  });

  test('unsupported and bad options throw naming the option', async () => {
    expect(() => new Piscina({ filename: TASKS, env: {} } as never)).toThrow(UnsupportedOptionError);
    expect(() => new Piscina({ filename: TASKS, useAtomics: false } as never)).toThrow(/'useAtomics'/);
    expect(() => new Piscina({ filename: TASKS, maxThreads: 0 })).toThrow(InvalidOptionError);
    expect(() => new Piscina({ filename: TASKS, maxQueue: 'lots' as never })).toThrow(/'maxQueue'/);
    const pool = new Piscina({ filename: TASKS, maxThreads: 1 });
    await expect(pool.run(1, { filename: 'other.js' } as never)).rejects.toThrow(/'filename'/);
    await pool.close();
  });

  test('minThreads: a lower bound every driver count meets, or an error naming it', async () => {
    const cpus = allowedCpus().length;
    for (const bad of [-1, 1.5, '2']) {
      expect(() => new Piscina({ filename: TASKS, minThreads: bad as number })).toThrow(/'minThreads'/);
    }
    // More than maxThreads, or more threads than Gatio runs (one driver per usable CPU).
    expect(() => new Piscina({ filename: TASKS, minThreads: 2, maxThreads: 1 })).toThrow(InvalidOptionError);
    expect(() => new Piscina({ filename: TASKS, minThreads: 2, maxThreads: 1 })).toThrow(/'minThreads' must be at most maxThreads \(1\)/);
    expect(() => new Piscina({ filename: TASKS, minThreads: cpus + 1 })).toThrow(new RegExp(`'minThreads' must be at most ${cpus}`));
    const pool = new Piscina({ filename: TASKS, minThreads: cpus });
    expect(await pool.run(1)).toBe(2);
    expect(pool.threads.length).toBe(cpus); // every driver runs from the start
    await pool.close();
  });

  test('idleTimeout: accepted only where piscina would not stop a thread either', async () => {
    // Threads above minThreads would exit when idle; Gatio's drivers never do.
    expect(() => new Piscina({ filename: TASKS, minThreads: 0, idleTimeout: 1000 })).toThrow(UnsupportedOptionError);
    expect(() => new Piscina({ filename: TASKS, minThreads: 0, idleTimeout: 0 })).toThrow(/'idleTimeout'.*minThreads to maxThreads/);
    expect(() => new Piscina({ filename: TASKS, idleTimeout: -1 })).toThrow(InvalidOptionError);
    // Infinity (the drivers' own behaviour), or no thread above minThreads.
    const forever = new Piscina({ filename: TASKS, maxThreads: 1, minThreads: 0, idleTimeout: Infinity });
    const none = new Piscina({ filename: TASKS, maxThreads: 1, minThreads: 1, idleTimeout: 50 });
    expect(await forever.run(1)).toBe(2);
    expect(await none.run(2)).toBe(3);
    await Promise.all([forever.close(), none.close()]);
  });

  test('concurrentTasksPerWorker caps the tasks each driver runs at once', async () => {
    expect(() => new Piscina({ filename: POOL_TASKS, concurrentTasksPerWorker: 0 })).toThrow(/'concurrentTasksPerWorker'/);
    // One driver, three at a time: nine async tasks, six wait in the pool's queue.
    const one = new Piscina({ filename: POOL_TASKS, maxThreads: 1, concurrentTasksPerWorker: 3 });
    await one.run(0);
    const nine = Array.from({ length: 9 }, () => one.run(20, { name: 'concurrency' }));
    expect(one.queueSize).toBe(6);
    const seen = (await Promise.all(nine)) as number[];
    expect(Math.max(...seen)).toBeLessThanOrEqual(3);
    expect(one.queueSize).toBe(0);
    await one.close();
    // Every driver, one at a time (piscina's default): no driver ever runs two.
    const each = new Piscina({ filename: POOL_TASKS, maxThreads: 2, concurrentTasksPerWorker: 1 });
    await each.run(0);
    const seenEach = (await Promise.all(Array.from({ length: 12 }, () => each.run(10, { name: 'concurrency' })))) as number[];
    expect(seenEach.every((n) => n === 1)).toBe(true);
    await each.close();
  });

  test('tasks waiting in the pool: maxQueue, abort, close() runs them, destroy() rejects them', async () => {
    const g = gates(4);
    const pool = new Piscina({ filename: POOL_TASKS, maxThreads: 1, concurrentTasksPerWorker: 1, maxQueue: 2 });
    await pool.run(0); // started: from here on tasks over the cap wait in the pool's queue
    const first = runGate(pool, g, 0);
    const ctl = new AbortController();
    const aborted = caught(runGate(pool, g, 1, ctl.signal));
    const second = runGate(pool, g, 2);
    expect(pool.queueSize).toBe(2);
    expect(await caught(pool.run(1))).toBeInstanceOf(QueueFullError);
    ctl.abort('changed my mind');
    const abortErr = await aborted;
    expect(abortErr).toBeInstanceOf(AbortError);
    expect(pool.queueSize).toBe(1);
    const closed = pool.close();
    g.open(0);
    g.open(2);
    expect(await first).toBe(0);
    expect(await second).toBe(2); // close() let the waiting task run
    await within(closed, 'close()');

    const doomed = new Piscina({ filename: POOL_TASKS, maxThreads: 1, concurrentTasksPerWorker: 1 });
    await doomed.run(0);
    const running = caught(runGate(doomed, g, 3));
    const queued = caught(doomed.run(1));
    expect(doomed.queueSize).toBe(1);
    await doomed.destroy();
    expect(await running).toBeInstanceOf(RuntimeDestroyedError);
    expect(await queued).toBeInstanceOf(RuntimeDestroyedError);
  });

  test('closeTimeout: close() destroys what is left after it', async () => {
    const g = gates(1);
    const pool = new Piscina({ filename: POOL_TASKS, maxThreads: 1, closeTimeout: 100 });
    const stuck = caught(runGate(pool, g, 0)); // never opened
    await pool.run(1);
    await within(pool.close(), 'close() after closeTimeout');
    expect(await stuck).toBeInstanceOf(RuntimeDestroyedError);
    expect(() => new Piscina({ filename: POOL_TASKS, closeTimeout: -5 })).toThrow(/'closeTimeout'/);
  });

  test('constructing and running a pool installs no signal handler', async () => {
    const before = { term: process.listenerCount('SIGTERM'), int: process.listenerCount('SIGINT') };
    const pool = new Piscina({ filename: TASKS, maxThreads: 1 });
    expect(await pool.run(1)).toBe(2); // the runtime has started
    expect({ term: process.listenerCount('SIGTERM'), int: process.listenerCount('SIGINT') }).toEqual(before);
    await pool.close();
  });
});

test('the facade entry point keeps fast properties (plain data exports, no getters)', () => {
  const { execFileSync } = require('node:child_process') as typeof import('node:child_process');
  const source = "console.log(%HasFastProperties(require('@gatio/core/piscina')))";
  expect(execFileSync(process.execPath, ['--allow-natives-syntax', '-e', source], { cwd: __dirname, encoding: 'utf8' }).trim()).toBe('true');
});
