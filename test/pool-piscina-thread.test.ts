// What piscina users reach for beside run(): isWorkerThread, workerData, Piscina.move and
// utilization, through real drivers and the fixture task modules.
import { MessageChannel } from 'node:worker_threads';
import { once } from 'node:events';
import * as facade from '@gatio/core/piscina';
import { Piscina, move } from '@gatio/core/piscina';
import { InvalidOptionError, Runtime, TaskEncodeError } from '@gatio/core';
import { caught } from './helpers';
import { POOL_TASKS, POOL_TASKS_ESM, within } from './pool-piscina-helpers';

describe('piscina facade: thread state, move, utilization', () => {
  test('isWorkerThread and workerData: false / undefined here, the pool option inside its drivers', async () => {
    expect(facade.isWorkerThread).toBe(false);
    expect(Piscina.isWorkerThread).toBe(false);
    expect(facade.workerData).toBeUndefined();
    expect(Piscina.workerData).toBeUndefined();

    const workerData = { region: 'eu', limits: [1, 2, 3], at: new Date(0) };
    const pool = new Piscina({ filename: POOL_TASKS, maxThreads: 1, workerData });
    const seen = (await pool.run(null, { name: 'thread' })) as Record<string, unknown>;
    // Already set while the task module loaded (its top level reads them), and later.
    expect(seen).toEqual({
      atLoad: { isWorkerThread: true, workerData },
      now: { isWorkerThread: true, workerData },
      current: workerData,
    });
    await pool.close();

    // An ES module task module gets them as named imports.
    const esm = new Piscina({ filename: POOL_TASKS_ESM, maxThreads: 1, workerData: 'esm' });
    expect(await esm.run(null)).toEqual({ isWorkerThread: true, workerData: 'esm' });
    await esm.close();
  });

  test('workerData that cannot be copied to a driver is an option error, from the pool and the runtime', async () => {
    expect(() => new Piscina({ filename: POOL_TASKS, workerData: { f: () => 1 } })).toThrow(InvalidOptionError);
    expect(() => new Piscina({ filename: POOL_TASKS, workerData: new MessageChannel().port1 })).toThrow(/'workerData'/);
    const err = await caught(Runtime.start({ filename: POOL_TASKS, drivers: 1, workerData: Symbol('x') }));
    expect(err).toBeInstanceOf(InvalidOptionError);
    expect(err.message).toMatch(/'workerData'/);
    // The runtime option alone: current.workerData in the drivers.
    const rt = await Runtime.start({ filename: POOL_TASKS, drivers: 1, workerData: [7], shutdown: { signals: false } });
    expect(((await rt.run(null, { name: 'thread' })) as { current: unknown }).current).toEqual([7]);
    await rt.close();
  });

  test('move(): an ArrayBuffer, a typed array or a MessagePort is moved to the driver, not copied', async () => {
    const pool = new Piscina({ filename: POOL_TASKS, maxThreads: 1 });
    const ab = new ArrayBuffer(4096);
    expect(move(ab)).toBe(ab); // the value itself, marked
    expect(await pool.run(ab, { name: 'byteLength' })).toBe(4096);
    expect(ab.byteLength).toBe(0); // detached here: it moved

    const bytes = new Uint8Array(100).fill(3);
    expect(await pool.run(Piscina.move(bytes), { name: 'sum' })).toBe(300);
    expect(bytes.byteLength).toBe(0);

    // A port cannot even be copied: without move() the task cannot be sent.
    const { port1, port2 } = new MessageChannel();
    expect(await caught(pool.run(port2, { name: 'ping' }))).toBeInstanceOf(TaskEncodeError);
    const pong = once(port1, 'message');
    expect(await pool.run(move(port2), { name: 'ping' })).toBe('sent');
    expect((await within(pong, 'the port message'))[0]).toBe('pong');
    port1.close();

    // Nested in an object it is copied, as any value, and arrives whole; so is a plain run.
    const nested = move(new ArrayBuffer(64));
    expect(await pool.run({ buf: nested }, { name: 'nestedLength' })).toBe(64);
    expect(nested.byteLength).toBe(64);
    const copied = new ArrayBuffer(32);
    expect(await pool.run(copied, { name: 'byteLength' })).toBe(32);
    expect(copied.byteLength).toBe(32);
    await pool.close();

    expect(() => move(123)).toThrow(TypeError);
    expect(() => move({ a: 1 })).toThrow(/move\(value\): value must be/);
    expect(() => move(new Uint8Array(new SharedArrayBuffer(8)))).toThrow(/SharedArrayBuffer/);
  });

  test('utilization: the share of the drivers time spent running tasks, 0 to 1', async () => {
    const pool = new Piscina({ filename: POOL_TASKS, maxThreads: 1 });
    expect(pool.utilization).toBe(0); // not started yet
    await pool.run(1);
    const before = pool.utilization;
    expect(before).toBeGreaterThanOrEqual(0);
    expect(before).toBeLessThanOrEqual(1);
    await pool.run(300, { name: 'spin' });
    const after = pool.utilization;
    expect(after).toBeGreaterThan(before);
    expect(after).toBeLessThanOrEqual(1);
    await pool.close();
  });
});
