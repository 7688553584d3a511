// A task whose result or error cannot be read (a getter or a Proxy trap throws) fails alone, with
// TaskEncodeError: the driver does not crash, and the tasks it runs meanwhile all succeed.
import { Runtime, TaskEncodeError } from '@gatio/core';
import { join } from 'node:path';
import { caught } from './helpers';

const CODEC_TASKS = join(__dirname, 'fixtures', 'codec-tasks.js');
/** Larger than the default rings (256 KiB): the value takes postMessage. */
const OUT_OF_BAND = 1 << 20;

describe('codec: values that cannot be read', () => {
  let rt: Runtime;
  beforeAll(async () => {
    rt = await Runtime.start({ filename: CODEC_TASKS, drivers: 1 });
  });
  afterAll(() => rt.close());

  describe('a result or error that cannot be read fails only its own task', () => {
    const cases: [string, string, number][] = [];
    for (const pad of [0, OUT_OF_BAND]) {
      for (const how of ['return', 'resolve', 'throw', 'reject']) cases.push(['throwingGetter', how, pad], ['hostileProxy', how, pad]);
    }
    // Only thrown: a returned Error is a value, cloned like structured clone does (without `code`).
    for (const how of ['throw', 'reject']) cases.push(['codeGetterError', how, 0]);
    // Not resolved: Promise.resolve() reads `then` itself, and the task rejects with what it threw.
    for (const how of ['return', 'throw', 'reject']) cases.push(['thenGetter', how, 0]);
    test.each(cases)('%s, %s (pad %d), with 20 other tasks in flight on its driver', async (what, how, pad) => {
      const others = Array.from({ length: 20 }, (_, i) => rt.run({ ms: 200, value: i }, { name: 'wait' }));
      const err = await caught(rt.run({ what, how, pad }, { name: 'unreadable' }));
      expect(err).toBeInstanceOf(TaskEncodeError);
      expect(err.message).toMatch(/getter throws|trap throws|could not be cloned/);
      expect(await Promise.all(others)).toEqual(Array.from({ length: 20 }, (_, i) => i));
      expect(await rt.run(7)).toBe(7);
      expect(rt.stats().drivers[0].restarts).toBe(0);
    });

    test('an argument that cannot be read rejects the call and sends nothing', async () => {
      const before = rt.stats().drivers[0].completed;
      const getter = {
        get bad(): never {
          throw new Error('this getter throws');
        },
      };
      for (const value of [getter, { pad: 'p'.repeat(OUT_OF_BAND), getter }]) {
        const err = await caught(rt.run(value, { name: 'echo' }));
        expect(err).toBeInstanceOf(TaskEncodeError);
        expect(err.message).toContain('this getter throws');
      }
      expect(rt.stats().drivers[0].completed).toBe(before);
      expect(await rt.run(8)).toBe(8);
    });
  });

  test('an argument that cannot be read, queued behind a full ring, is counted out of the queue once', async () => {
    // A 1 KiB ring holds a few dozen tasks: the rest, and the unreadable ones, wait in the backlog
    // and are encoded only when written. Counted twice, queueSize went below zero and maxQueue
    // let one more task wait per such argument.
    const small = await Runtime.start({ filename: CODEC_TASKS, drivers: 1, ringBytes: { main: 1024 } });
    try {
      const getter = {
        get bad(): never {
          throw new Error('this getter throws');
        },
      };
      const runs: Promise<unknown>[] = [];
      for (let i = 0; i < 300; i++) runs.push(small.run(i, { name: 'echo' }));
      expect(small.queueSize).toBeGreaterThan(0);
      const bad = [getter, { pad: 'p'.repeat(OUT_OF_BAND), getter }].map((value) => caught(small.run(value, { name: 'echo' })));
      for (let i = 300; i < 400; i++) runs.push(small.run(i, { name: 'echo' }));
      for (const err of await Promise.all(bad)) expect(err).toBeInstanceOf(TaskEncodeError);
      expect(await Promise.all(runs)).toEqual(Array.from({ length: 400 }, (_, i) => i));
      expect(small.queueSize).toBe(0);
      expect(small.pendingCount).toBe(0);
    } finally {
      await small.close();
    }
  });
});
