import { Piscina, AbortError } from '@gatio/core/piscina';
import { UnsupportedOptionError, InvalidOptionError } from '@gatio/core';
import { TASKS, caught } from './helpers';

describe('piscina facade', () => {
  test('run, name, events, counters, close', async () => {
    const pool = new Piscina({ filename: TASKS, maxThreads: 2, minThreads: 1, idleTimeout: 1000, concurrentTasksPerWorker: 4 });
    let drains = 0;
    pool.on('drain', () => drains++);
    expect(await pool.run(1)).toBe(2);
    expect(await pool.run({ a: 1, b: 2 }, { name: 'add' })).toBe(3);
    const results = await Promise.all(Array.from({ length: 1000 }, (_, i) => pool.run(i)));
    expect(results.every((r, i) => r === i + 1)).toBe(true);
    expect(pool.completed).toBe(1002);
    expect(pool.queueSize).toBe(0);
    expect(pool.threads.length).toBeGreaterThanOrEqual(1);
    expect(drains).toBeGreaterThanOrEqual(3);
    await pool.close();
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
});
