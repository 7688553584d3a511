// The piscina facade's backpressure, as piscina defines it: needsDrain turns true when the pool is
// saturated (a task sent now would wait in a queue), 'needsDrain' is emitted then, and 'drain'
// only when needsDrain turns false again, not whenever nothing is in flight.
import { once } from 'node:events';
import { Piscina } from '@gatio/core/piscina';
import { POOL_TASKS, gates, runGate, turn, within } from './pool-piscina-helpers';

function countEvents(pool: Piscina): { drain: number; needsDrain: number } {
  const n = { drain: 0, needsDrain: 0 };
  pool.on('drain', () => n.drain++);
  pool.on('needsDrain', () => n.needsDrain++);
  return n;
}

describe('piscina facade: needsDrain and drain', () => {
  test('with concurrentTasksPerWorker: saturated at drivers x n in flight, drained below it', async () => {
    const g = gates(4);
    const pool = new Piscina({ filename: POOL_TASKS, maxThreads: 1, concurrentTasksPerWorker: 2 });
    const events = countEvents(pool);

    // Under capacity: a task comes and goes, the pool was never saturated, so no 'drain'.
    const alone = runGate(pool, g, 0);
    await turn();
    g.open(0);
    expect(await alone).toBe(0);
    await turn();
    expect(events).toEqual({ drain: 0, needsDrain: 0 });
    expect(pool.needsDrain).toBe(false);

    // Two in flight fill the one driver: saturated; a third waits in the pool's queue.
    const a = runGate(pool, g, 1);
    const b = runGate(pool, g, 2);
    expect(pool.needsDrain).toBe(true);
    const c = runGate(pool, g, 3);
    expect(pool.queueSize).toBe(1);
    await turn();
    expect(events).toEqual({ drain: 0, needsDrain: 1 });

    // One settles, the waiting one takes its place: still saturated.
    g.open(1);
    expect(await a).toBe(1);
    await turn();
    expect(pool.needsDrain).toBe(true);
    expect(events.drain).toBe(0);

    // Below capacity again while a task still runs: 'drain' now, not when all are done.
    const drained = once(pool, 'drain');
    g.open(2);
    await within(drained, "'drain' once below capacity");
    expect(pool.needsDrain).toBe(false);
    expect(pool.queueSize).toBe(0);
    let cDone = false;
    void c.then(() => (cDone = true));
    await turn();
    expect(cDone).toBe(false); // gate 3 is still shut: the pool drained with a task running
    g.open(3);
    expect(await b).toBe(2);
    expect(await c).toBe(3);
    await turn();
    expect(events).toEqual({ drain: 1, needsDrain: 1 });
    await pool.close();
  });

  test('without a cap: saturated while tasks wait for room in a driver ring, drained when they got in', async () => {
    const g = gates(1);
    const pool = new Piscina({ filename: POOL_TASKS, maxThreads: 1 });
    const events = countEvents(pool);
    await pool.run(0);
    // Block the one driver, then send until tasks wait on this thread (its ring is full).
    const held = pool.run(g.sab, { name: 'hold', transferList: [] });
    const runs: Promise<unknown>[] = [];
    for (let i = 0; i < 500_000 && pool.queueSize === 0; i++) runs.push(pool.run(i));
    expect(pool.queueSize).toBeGreaterThan(0);
    expect(pool.needsDrain).toBe(true);
    const extra = Array.from({ length: 100 }, (_, i) => pool.run(i));
    expect(pool.needsDrain).toBe(true);
    await turn();
    expect(events).toEqual({ drain: 0, needsDrain: 1 });

    const drained = once(pool, 'drain');
    g.open(0);
    await within(drained, "'drain' after the ring took the queued tasks");
    expect(pool.needsDrain).toBe(false);
    expect(pool.queueSize).toBe(0);
    expect(await held).toBe('released');
    const results = (await Promise.all([...runs, ...extra])) as number[];
    expect(results.length).toBe(runs.length + 100);
    expect(results.slice(0, runs.length).every((r, i) => r === i + 1)).toBe(true);
    expect(events).toEqual({ drain: 1, needsDrain: 1 });
    await pool.close();
  });
});
