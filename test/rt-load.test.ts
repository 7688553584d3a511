import { Runtime, QueueFullError } from '@gatio/core';
import { TASKS, caught, rng } from './helpers';

describe('Runtime under load', () => {
  test('1,000,000 tasks across all drivers, each resolving once with the right result', async () => {
    const rt = await Runtime.start({ filename: TASKS });
    try {
      const total = 1_000_000;
      const window = 20_000; // keep the test's own memory bounded
      let sum = 0;
      let settled = 0;
      for (let base = 0; base < total; base += window) {
        const batch: Promise<number>[] = [];
        for (let i = base; i < base + window; i++) batch.push(rt.run<number>(i));
        const results = await Promise.all(batch);
        for (let i = 0; i < results.length; i++) {
          if (results[i] !== base + i + 1) throw new Error(`task ${base + i} returned ${results[i]}`);
          sum += results[i];
          settled++;
        }
      }
      expect(settled).toBe(total);
      expect(sum).toBe((total * (total + 1)) / 2);
      const stats = rt.stats();
      expect(stats.drivers.reduce((a, d) => a + d.completed, 0)).toBe(total);
      if (stats.drivers.length > 1) for (const d of stats.drivers) expect(d.completed).toBeGreaterThan(0);
    } finally {
      await rt.close();
    }
  });

  test.each([64, 128, 256, 1024])('ring of %i bytes: wrap-around, full rings and out-of-band records stay exact', async (ringSize) => {
    const rt = await Runtime.start({ filename: TASKS, ringBytes: { main: ringSize, peer: ringSize } });
    try {
      const random = rng(ringSize);
      const values: unknown[] = [];
      for (let i = 0; i < 3000; i++) {
        const r = random();
        if (r < 0.3) values.push(i);
        else if (r < 0.5) values.push('s'.repeat(Math.floor(random() * 200)) + i);
        else if (r < 0.7) values.push(new Uint8Array(Math.floor(random() * 300)).fill(i & 255));
        else if (r < 0.9) values.push({ i, tags: ['a', 'b'], f: i + 0.5 });
        else values.push(i * 1.25);
      }
      const results = await Promise.all(values.map((v) => rt.run(v, { name: 'echo' })));
      expect(results).toEqual(values);
      // Tasks that fan out through driver-to-driver rings of the same small size.
      const fan = await Promise.all(Array.from({ length: 50 }, () => rt.run(20, { name: 'fanout' })));
      expect(fan).toEqual(new Array(50).fill(210));
    } finally {
      await rt.close();
    }
  });

  test('async tasks with timers run concurrently on a driver', async () => {
    const rt = await Runtime.start({ filename: TASKS, drivers: 1 });
    try {
      const t0 = performance.now();
      const results = await Promise.all(Array.from({ length: 200 }, () => rt.run(50, { name: 'sleep' })));
      expect(results).toEqual(new Array(200).fill(50));
      expect(performance.now() - t0).toBeLessThan(2000); // 200 x 50 ms one after another would be 10 s
    } finally {
      await rt.close();
    }
  });

  test('maxQueue bounds what waits for ring space', async () => {
    const rt = await Runtime.start({ filename: TASKS, drivers: 1, maxQueue: 10, ringBytes: { main: 256, peer: 256 } });
    try {
      const accepted: Promise<unknown>[] = [];
      let refused: unknown = null;
      for (let i = 0; i < 1000 && refused === null; i++) {
        const p = rt.run(5, { name: 'sleep' });
        if (rt.queueSize > 10) throw new Error('queue grew past maxQueue');
        accepted.push(p.catch((e) => (refused = e)));
      }
      await Promise.all(accepted);
      expect(refused).toBeInstanceOf(QueueFullError);
      expect((refused as Error).message).toContain('maxQueue 10');
    } finally {
      await rt.close();
    }
  });

  test('high priority tasks leave the queue first', async () => {
    const rt = await Runtime.start({ filename: TASKS, drivers: 1, ringBytes: { main: 256, peer: 256 } });
    try {
      const order: string[] = [];
      const blockers = Array.from({ length: 300 }, (_, i) =>
        rt.run(i, { name: 'echo', priority: 'low' }).then(() => order.push('low')),
      );
      const high = Array.from({ length: 20 }, (_, i) => rt.run(i, { name: 'echo', priority: 'high' }).then(() => order.push('high')));
      await Promise.all([...blockers, ...high]);
      // The ring holds only a few records; everything else was queued and the high ones overtook.
      const lastHigh = order.lastIndexOf('high');
      expect(lastHigh).toBeLessThan(100);
    } finally {
      await rt.close();
    }
  });

  test('close() under load loses nothing', async () => {
    const rt = await Runtime.start({ filename: TASKS });
    const tasks = Array.from({ length: 20000 }, (_, i) => rt.run<number>(i));
    const slow = Array.from({ length: 50 }, () => rt.run(30, { name: 'sleep' }));
    await rt.close();
    const results = await Promise.all(tasks);
    expect(results.every((r, i) => r === i + 1)).toBe(true);
    expect(await Promise.all(slow)).toEqual(new Array(50).fill(30));
  });

  test('destroy() rejects what is pending', async () => {
    const rt = await Runtime.start({ filename: TASKS });
    const slow = Array.from({ length: 10 }, () => caught(rt.run(5000, { name: 'sleep' })));
    await new Promise((r) => setTimeout(r, 50));
    await rt.destroy();
    for (const err of await Promise.all(slow)) expect(err.code).toBe('GATIO_ERR_RUNTIME_DESTROYED');
  });
});
