import { Runtime, GatioError, UnknownTaskError, TaskModuleLoadError, InvalidOptionError, RuntimeClosedError, TaskEncodeError } from '@gatio/core';
import { join } from 'node:path';
import { serialize } from 'node:v8';
import { TASKS, cpusAllowed, allowedCpus, caught } from './helpers';

describe('Runtime basics', () => {
  let rt: Runtime;
  beforeAll(async () => {
    rt = await Runtime.start({ filename: TASKS });
  });
  afterAll(() => rt.close());

  test('one pinned driver per allowed CPU, each on its own OS thread', () => {
    const cpus = allowedCpus();
    expect(rt.drivers.map((d) => d.cpu)).toEqual(cpus);
    for (const d of rt.drivers) {
      expect(d.kind).toBe('hybrid');
      expect(cpusAllowed(d.threadId)).toEqual([d.cpu]);
    }
  });

  test('default and named exports, sync and async', async () => {
    expect(await rt.run(41)).toBe(42);
    expect(await rt.run({ a: 2, b: 3 }, { name: 'add' })).toBe(5);
    expect(await rt.run(20, { name: 'sleep' })).toBe(20);
  });

  test.each([
    ['int', 7],
    ['negative zero', -0],
    ['double', 3.25],
    ['NaN', NaN],
    ['huge', 2 ** 53],
    ['ascii', 'hello'],
    ['unicode', 'héllo wörld ✓ 𝄞'],
    ['long string', 'x'.repeat(10000)],
    ['empty string', ''],
    ['bool', true],
    ['null', null],
    ['undefined', undefined],
    ['bytes', new Uint8Array([1, 2, 3, 255])],
    ['buffer', Buffer.from('buf')],
    ['object', { id: 1, name: 'n', tags: ['a', 'b'], nested: { x: [1, { y: null }] } }],
    ['sparse array', [1, , 3]], // eslint-disable-line no-sparse-arrays
    ['map', new Map([[1, 'a']])],
    ['date', new Date(12345)],
    ['bigint', 10n ** 30n],
    ['float64array', new Float64Array([1.5, 2.5])],
    ['deep', JSON.parse('['.repeat(40) + ']'.repeat(40))],
  ])('round trip: %s', async (_name, value) => {
    const back = await rt.run(value, { name: 'echo' });
    if (value instanceof Map || value instanceof Date || value instanceof Float64Array) {
      // Structured-clone results come from Node's realm, not jest's: compare serialized forms.
      expect(serialize(back).equals(serialize(value))).toBe(true);
    } else {
      expect(back).toEqual(value);
    }
    if (typeof value === 'number') expect(Object.is(back, value)).toBe(true);
    if (Buffer.isBuffer(value)) expect(Buffer.isBuffer(back)).toBe(true);
    if (value instanceof Uint8Array && !Buffer.isBuffer(value)) expect(Buffer.isBuffer(back)).toBe(false);
  });

  test('a cyclic object goes through structured clone', async () => {
    const a: Record<string, unknown> = { name: 'a' };
    a.self = a;
    const back = (await rt.run(a, { name: 'echo' })) as Record<string, unknown>;
    expect(back.self).toBe(back);
  });

  test('oversized payloads and transferList take the out-of-band path', async () => {
    const big = new Uint8Array(4 << 20).fill(3);
    expect(await rt.run(big, { name: 'len' })).toBe(4 << 20);
    const back = (await rt.run(3 << 20, { name: 'big' })) as Uint8Array;
    expect(back.length).toBe(3 << 20);
    expect(back[12345]).toBe(7);
    const ab = new Uint8Array(1024);
    expect(await rt.run(ab, { name: 'len', transferList: [ab.buffer] })).toBe(1024);
    expect(ab.byteLength).toBe(0); // transferred away
  });

  test('records that take the out-of-band path keep their place: nothing overtakes them', async () => {
    // Every third payload is too large for any ring, some go with a transfer list: all must
    // arrive on the driver in the order they were sent (their placeholders hold the order).
    const n = 90;
    const sends = Array.from({ length: n }, (_, i) => {
      if (i % 3 === 1) return rt.run(new Uint8Array(4 << 20), { name: 'arrive', driver: 0 });
      if (i % 9 === 5) {
        const ab = new Uint8Array(16);
        return rt.run(ab, { name: 'arrive', driver: 0, transferList: [ab.buffer] });
      }
      return rt.run(i, { name: 'arrive', driver: 0 });
    });
    const order = (await Promise.all(sends)) as number[];
    expect(order.map((x) => x - order[0])).toEqual(Array.from({ length: n }, (_, i) => i));
    // Driver to driver (relayed through the main thread) as well.
    const relayed = (await rt.run({ to: 1, n: 60 }, { name: 'relayArrive', driver: 0 })) as number[];
    expect(relayed.map((x) => x - relayed[0])).toEqual(Array.from({ length: 60 }, (_, i) => i));
  });

  test('task errors keep class, message, code and the remote stack', async () => {
    const err = await caught(rt.run('boom', { name: 'fail' }));
    expect(err).toBeInstanceOf(TypeError);
    expect(err.message).toBe('boom');
    expect(err.code).toBe('E_TASK');
    expect(err.stack).toContain('tasks.js');
    const asyncErr = await caught(rt.run('later', { name: 'failAsync' }));
    expect(asyncErr).toBeInstanceOf(RangeError);
    expect(asyncErr.message).toBe('later');
  });

  test('unknown task name', async () => {
    const err = await caught(rt.run(1, { name: 'nope' }));
    expect(err).toBeInstanceOf(UnknownTaskError);
    expect(err).toBeInstanceOf(GatioError);
    expect(err.code).toBe('GATIO_ERR_UNKNOWN_TASK');
    expect(err.message).toContain("'nope'");
  });

  test('values that cannot be sent: clear error at the caller, nothing sent', async () => {
    const before = rt.stats().drivers.reduce((a, d) => a + d.submitted, 0);
    const err = await caught(rt.run(() => 1, { name: 'echo' }));
    expect(err).toBeInstanceOf(TaskEncodeError);
    expect(err.code).toBe('GATIO_ERR_TASK_ENCODE');
    const res = await caught(rt.run(null, { name: 'returnFn' }));
    expect(res).toBeInstanceOf(TaskEncodeError);
    const after = rt.stats().drivers.reduce((a, d) => a + d.submitted, 0);
    // Both count as submitted requests, but the bad argument never reached a driver: only the
    // returnFn task ran (and its result could not be sent back).
    expect(after - before).toBe(2);
  });

  test.each([
    [{ name: 5 }, 'name'],
    [{ driver: 99 }, 'driver'],
    [{ driver: 1.5 }, 'driver'],
    [{ key: {} }, 'key'],
    [{ priority: 'urgent' }, 'priority'],
    [{ signal: 'x' }, 'signal'],
    [{ transferList: 'x' }, 'transferList'],
    [{ bogus: 1 }, 'bogus'],
  ])('bad run() option %j names %s', async (opts, option) => {
    const err = await caught(rt.run(1, opts as never));
    expect(err).toBeInstanceOf(InvalidOptionError);
    expect(err.message).toContain(`'${option}'`);
  });

  test('direct driver, key affinity, round robin of keys', async () => {
    for (const d of rt.drivers) {
      const who = (await rt.run(null, { name: 'whoami', driver: d.id })) as { driver: number; tid: number; cpu: number };
      expect(who.driver).toBe(d.id);
      expect(who.tid).toBe(d.threadId);
      expect(who.cpu).toBe(d.cpu);
    }
    const first = new Map<string, number>();
    for (let round = 0; round < 3; round++) {
      for (const key of ['alpha', 'beta', 'gamma', 'delta', 'x1', 'x2']) {
        const who = (await rt.run(null, { name: 'whoami', key })) as { driver: number };
        if (!first.has(key)) first.set(key, who.driver);
        expect(who.driver).toBe(first.get(key));
      }
    }
  });

  test('tasks hand work to other drivers (ctx.run and current.run)', async () => {
    expect(await rt.run(10, { name: 'fanout' })).toBe(55);
    expect(await rt.run(9, { name: 'viaCurrent' })).toBe(9);
  });

  test('stats count per driver and TPC', async () => {
    await Promise.all(Array.from({ length: 100 }, (_, i) => rt.run(i)));
    const s = rt.stats();
    expect(s.tpcs.length).toBeGreaterThanOrEqual(1);
    const total = s.drivers.reduce((a, d) => a + d.completed, 0);
    expect(total).toBeGreaterThanOrEqual(100);
    for (const d of s.drivers) {
      expect(d.running).toBe(0);
      expect(d.queued).toBe(0);
      expect(d.busyRatio).toBeGreaterThanOrEqual(0);
      expect(d.busyRatio).toBeLessThanOrEqual(1);
    }
    expect(s.tpcs[0].completed).toBe(s.tpcs[0].drivers.reduce((a, d) => a + d.completed, 0));
  });
});

describe('Runtime.start errors', () => {
  test('bad options name the option', async () => {
    await expect(Runtime.start({ filename: 'relative.js' })).rejects.toThrow(/'filename'/);
    await expect(Runtime.start({ filename: TASKS, drivers: [{ cpu: 999 }] })).rejects.toThrow(/drivers\[0\]\.cpu/);
    await expect(Runtime.start({ filename: TASKS, drivers: [{ cpu: 0 }, { cpu: 0 }] })).rejects.toThrow(/one driver per core/);
    await expect(Runtime.start({ filename: TASKS, drivers: [{ cpu: 0, kind: 'gpu' as never }] })).rejects.toThrow(/kind/);
    await expect(Runtime.start({ filename: TASKS, policy: 'random' as never })).rejects.toThrow(/'policy'/);
    await expect(Runtime.start({ filename: TASKS, ringBytes: { main: 1000 } })).rejects.toThrow(/ringBytes.main/);
    await expect(Runtime.start({ filename: TASKS, maxQueue: -1 })).rejects.toThrow(/'maxQueue'/);
    await expect(Runtime.start({ filename: TASKS, spinMs: -1 })).rejects.toThrow(/'spinMs'/);
    await expect(Runtime.start({ filename: TASKS, threads: 3 } as never)).rejects.toThrow(/'threads'/);
    await expect(Runtime.start({ filename: TASKS, drivers: 0 })).rejects.toThrow(/'drivers'/);
  });

  test('a task module that fails to load', async () => {
    const err = await caught(Runtime.start({ filename: join(__dirname, 'fixtures', 'broken-module.js'), drivers: 1 }));
    expect(err).toBeInstanceOf(TaskModuleLoadError);
    expect(err.message).toContain('broken-module.js');
    expect(err.message).toContain('this module is broken on purpose');
    const missing = await caught(Runtime.start({ filename: '/nonexistent/tasks.js', drivers: 1 }));
    expect(missing).toBeInstanceOf(TaskModuleLoadError);
  });

  test('a driver that fails to start leaves nothing running (the others are stopped, not restarted)', async () => {
    const { execFile } = await import('node:child_process');
    const cpus = allowedCpus();
    if (cpus.length < 2) return console.log('skipped: needs two allowed CPUs');
    const out = await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, [join(__dirname, 'fixtures', 'rt-start-fail.js')], { timeout: 15000 }, (err, stdout) =>
        err ? reject(new Error(`the process did not exit by itself: ${err.message} ${stdout}`)) : resolve(stdout),
      );
    });
    expect(out.trim()).toBe('rejected GATIO_ERR_PORT_IN_USE');
  });

  test('run after close, close twice', async () => {
    const rt = await Runtime.start({ filename: TASKS, drivers: 1 });
    expect(await rt.run(1)).toBe(2);
    await rt.close();
    await rt.close();
    await expect(rt.run(1)).rejects.toBeInstanceOf(RuntimeClosedError);
  });

  test('an ES module task file', async () => {
    const rt = await Runtime.start({ filename: join(__dirname, 'fixtures', 'tasks.mjs'), drivers: 1 });
    try {
      expect(await rt.run(2)).toBe(4);
      expect(await rt.run('x', { name: 'shout' })).toBe('X!');
    } finally {
      await rt.close();
    }
  });
});
