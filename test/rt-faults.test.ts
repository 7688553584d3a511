import { Runtime, AbortError, DriverCrashedError } from '@gatio/core';
import { TASKS, caught, cpusAllowed, allowedCpus } from './helpers';

async function until(cond: () => boolean, ms = 10000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('abort', () => {
  test('a queued task never runs; a running one sees the signal', async () => {
    const rt = await Runtime.start({ filename: TASKS, drivers: 1, ringBytes: { main: 128, peer: 128 } });
    try {
      // Already aborted: rejected before anything is sent.
      const pre = new AbortController();
      pre.abort();
      expect(await caught(rt.run(1, { signal: pre.signal }))).toBeInstanceOf(AbortError);

      // Running: the task gets the signal and reacts (cooperative), the caller gets AbortError now.
      const running = new AbortController();
      const seen = rt.run(60_000, { name: 'waitAbort', signal: running.signal });
      await new Promise((r) => setTimeout(r, 50));
      running.abort();
      const err = await caught(seen);
      expect(err).toBeInstanceOf(AbortError);
      expect(err.name).toBe('AbortError');
      // The aborted task still finishes on its driver (it saw the signal): let it, so the count
      // below only covers what runs from here on.
      await until(() => rt.stats().drivers[0].running === 0);

      // Queued behind a full ring: aborted ones are never sent.
      const blockers = Array.from({ length: 50 }, () => rt.run(30, { name: 'sleep' }));
      expect(rt.queueSize).toBeGreaterThan(0);
      const ctl = new AbortController();
      const queued = rt.run(0, { name: 'whoami', signal: ctl.signal });
      const before = rt.stats().drivers[0].completed;
      ctl.abort();
      expect(await caught(queued)).toBeInstanceOf(AbortError);
      await Promise.all(blockers);
      // Only the blockers ran after that point.
      expect(rt.stats().drivers[0].completed - before).toBe(50);
    } finally {
      await rt.close();
    }
  });

  test('the waitAbort task really observed the abort', async () => {
    const rt = await Runtime.start({ filename: TASKS, drivers: 1 });
    try {
      const ctl = new AbortController();
      const p = caught(rt.run(60_000, { name: 'waitAbort', signal: ctl.signal }));
      await new Promise((r) => setTimeout(r, 50));
      ctl.abort();
      await p;
      await until(() => rt.stats().drivers[0].running === 0);
      expect(rt.stats().drivers[0].completed).toBe(1);
    } finally {
      await rt.close();
    }
  });
});

describe('driver crashes', () => {
  test.each([
    ['process.exit in a task', 'crash'],
    ['an uncaught exception in a timer', 'throwLater'],
  ])('%s: in-flight tasks reject once, the driver restarts on its CPU, the rest keeps running', async (_what, crashTask) => {
    const rt = await Runtime.start({ filename: TASKS });
    try {
      const victim = rt.drivers[0];
      const settledCount = new Map<number, number>();
      type Outcome = { ok: boolean; v?: unknown; e?: Error };
      const track = (i: number, p: Promise<unknown>): Promise<Outcome> =>
        p.then(
          (v) => {
            settledCount.set(i, (settledCount.get(i) ?? 0) + 1);
            return { ok: true, v };
          },
          (e: Error) => {
            settledCount.set(i, (settledCount.get(i) ?? 0) + 1);
            return { ok: false, e };
          },
        );
      const load: Promise<Outcome>[] = [];
      for (let i = 0; i < 20000; i++) load.push(track(i, rt.run(i)));
      // Slow tasks pinned to the victim are surely in flight when it dies.
      const slow = Array.from({ length: 20 }, (_, i) => track(100000 + i, rt.run(10_000, { name: 'sleep', driver: victim.id })));
      const crash = caught(rt.run(null, { name: crashTask, driver: victim.id }));
      for (let i = 20000; i < 40000; i++) load.push(track(i, rt.run(i)));

      expect(await crash).toBeInstanceOf(DriverCrashedError);
      for (const r of await Promise.all(slow)) {
        expect(r.ok).toBe(false);
        expect(r.e).toBeInstanceOf(DriverCrashedError);
        expect((r.e as DriverCrashedError).code).toBe('GATIO_ERR_DRIVER_CRASHED');
      }
      const results = await Promise.all(load);
      results.forEach((r, i) => {
        if (r.ok) expect(r.v).toBe(i + 1);
        else expect(r.e).toBeInstanceOf(DriverCrashedError);
      });
      for (const n of settledCount.values()) expect(n).toBe(1);

      await until(() => rt.stats().drivers[0].restarts === 1 && rt.drivers[0].threadId !== victim.threadId);
      const again = rt.drivers[0];
      expect(cpusAllowed(again.threadId)).toEqual([victim.cpu]);
      const who = (await rt.run(null, { name: 'whoami', driver: victim.id })) as { tid: number };
      expect(who.tid).toBe(again.threadId);
      // Driver-to-driver traffic towards the restarted driver works too.
      expect(await rt.run(10, { name: 'fanout' })).toBe(55);
    } finally {
      await rt.close();
    }
  });

  test('resourceLimits: a task that exhausts the heap crashes only its driver', async () => {
    const rt = await Runtime.start({ filename: TASKS, drivers: 1, resourceLimits: { maxOldGenerationSizeMb: 32 } });
    try {
      const err = await caught(rt.run(null, { name: 'hog' }));
      expect(err).toBeInstanceOf(DriverCrashedError);
      expect(err.message).toMatch(/memory|ERR_WORKER_OUT_OF_MEMORY/i);
      await until(() => rt.stats().drivers[0].restarts === 1);
      expect(await rt.run(1)).toBe(2);
    } finally {
      await rt.close();
    }
  });
});

describe('topology', () => {
  const cpus = allowedCpus();
  const twoCpus = cpus.length >= 2 ? test : test.skip;
  if (cpus.length < 2) console.log('skipped: the two-node test needs two allowed CPUs');

  twoCpus('two hand-described NUMA nodes give two TPCs whose drivers are pinned to their own CPUs', async () => {
    const rt = await Runtime.start({ filename: TASKS, topology: [{ id: 0, cpus: [cpus[0]] }, { id: 1, cpus: [cpus[1]] }] });
    try {
      const s = rt.stats();
      expect(s.tpcs.map((t) => ({ node: t.node, cpus: t.cpus }))).toEqual([
        { node: 0, cpus: [cpus[0]] },
        { node: 1, cpus: [cpus[1]] },
      ]);
      for (const d of rt.drivers) {
        expect(d.tpc).toBe(d.cpu === cpus[0] ? 0 : 1);
        expect(cpusAllowed(d.threadId)).toEqual([d.cpu]);
      }
      const results = await Promise.all(Array.from({ length: 10000 }, (_, i) => rt.run<number>(i)));
      expect(results.every((r, i) => r === i + 1)).toBe(true);
      expect(await rt.run(10, { name: 'fanout' })).toBe(55); // across TPC arenas
      const per = rt.stats().tpcs.map((t) => t.completed);
      expect(per[0]).toBeGreaterThan(0);
      expect(per[1]).toBeGreaterThan(0);
    } finally {
      await rt.close();
    }
  });

  twoCpus('mixed kinds: io drivers get no tasks, scheduled or direct (a direct one rejects)', async () => {
    const rt = await Runtime.start({ filename: TASKS, drivers: [{ cpu: cpus[0], kind: 'io' }, { cpu: cpus[1], kind: 'exec' }] });
    try {
      for (let i = 0; i < 20; i++) expect(((await rt.run(null, { name: 'whoami' })) as { driver: number }).driver).toBe(1);
      const refused = await caught(rt.run(null, { name: 'whoami', driver: 0 }));
      expect(refused.code).toBe('GATIO_ERR_INVALID_OPTION');
      expect(refused.message).toMatch(/driver 0 is an 'io' driver/);
    } finally {
      await rt.close();
    }
  });
});

describe('credentials', () => {
  const root = process.getuid?.() === 0 ? test : test.skip;
  if (process.getuid?.() !== 0) console.log('skipped: the credentials test needs root (it drops privileges in a child)');

  root('a driver serving ports is not restarted once the process credentials changed', async () => {
    const { execFile } = await import('node:child_process');
    const { join } = await import('node:path');
    const out = await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, [join(__dirname, 'fixtures', 'rt-creds-restart.js')], { timeout: 20000 }, (err, stdout) =>
        err ? reject(new Error(`${err.message}\n${stdout}`)) : resolve(stdout),
      );
    });
    expect(out).toContain('crash GATIO_ERR_DRIVER_CRASHED');
    expect(out).toContain('error GATIO_ERR_CREDENTIALS_CHANGED');
    expect(out).toContain('after GATIO_ERR_RUNTIME_CLOSED');
  });
});
