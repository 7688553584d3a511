// A driver whose restart fails is retried (with backoff) and serves again; one that cannot be
// restarted at all is reported ('error') and given up: what waited for it rejects, later tasks
// for it are refused, scheduled ones go to the other driver. Never a driver silently missing.
// The fixture's module exits during start-up while this process's counter file is above 0.
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { Runtime, DriverClosedError, DriverCrashedError, DriverStartError } from '@gatio/core';
import { allowedCpus, caught } from './helpers';
import { SETTLE_TASKS, clearMarkers, marker, newToken, release, until, within } from './rt-settle-helpers';

const failLoads = join(tmpdir(), `gatio-settle-fail-loads-${process.pid}`);
const cpus = allowedCpus();
const twoCpus = cpus.length >= 2 ? test : test.skip;
if (cpus.length < 2) console.log('skipped: the restart tests need two allowed CPUs (two drivers)');

afterEach(() => rmSync(failLoads, { force: true }));

/** Crashes driver 0 with the next `failures` start-ups failing; resolves with the tasks sent to it while it restarts. */
async function crashWithFailingRestarts(rt: Runtime, failures: number) {
  writeFileSync(failLoads, String(failures));
  const during = new Promise<Promise<unknown>[]>((resolve) =>
    rt.once('crash', () =>
      resolve([
        rt.run(null, { name: 'whoami', driver: 0 }),
        rt.run(null, { name: 'whoami', key: 0 }),
        rt.run(new Uint8Array(256 << 10), { name: 'len', driver: 0 }), // out of band (postMessage)
      ]),
    ),
  );
  expect(await caught(rt.run(null, { name: 'crash', driver: 0 }))).toBeInstanceOf(DriverCrashedError);
  return during;
}

describe('failed restarts', () => {
  twoCpus('are retried: the driver serves again, tasks sent meanwhile get their results', async () => {
    const rt = await Runtime.start({ filename: SETTLE_TASKS, drivers: 2, shutdown: { signals: false } });
    const errors: Error[] = [];
    rt.on('error', (e: Error) => errors.push(e));
    try {
      const during = await crashWithFailingRestarts(rt, 2);
      expect(await within(Promise.all(during), 'tasks sent during the restart')).toEqual([{ driver: 0 }, { driver: 0 }, 256 << 10]);
      expect(readFileSync(failLoads, 'utf8')).toBe('0'); // both failing start-ups happened
      expect(rt.stats().drivers[0].restarts).toBe(1);
      expect(await rt.run(null, { name: 'whoami', driver: 0 })).toEqual({ driver: 0 });
      expect(errors).toEqual([]);
    } finally {
      await rt.close();
    }
  });

  twoCpus('that never succeed are reported, and the driver is down: its tasks reject, scheduled ones go elsewhere', async () => {
    const rt = await Runtime.start({ filename: SETTLE_TASKS, drivers: 2, policy: 'round-robin', shutdown: { signals: false } });
    const reported = new Promise<Error>((resolve) => rt.once('error', resolve));
    try {
      const during = await crashWithFailingRestarts(rt, 1000);
      const error = await within(reported, "the 'error' event");
      expect(error).toBeInstanceOf(DriverStartError);
      expect(error.message).toMatch(/exited during start-up/);
      for (const p of during) expect(await within(caught(p), 'a task sent during the restart')).toBeInstanceOf(DriverClosedError);

      const direct = await caught(rt.run(null, { name: 'whoami', driver: 0 }));
      expect(direct).toBeInstanceOf(DriverClosedError);
      expect(direct.code).toBe('GATIO_ERR_DRIVER_CLOSED');
      expect(direct.message).toMatch(/driver 0 takes no more tasks: it crashed and could not be restarted/);
      const token = newToken();
      const forwarded = await caught(
        rt.run({ token, fillers: 0, to: 0, arg: null, options: { name: 'whoami', driver: 0 } }, { name: 'forward', driver: 1 }),
      );
      clearMarkers(token);
      expect(forwarded).toBeInstanceOf(DriverClosedError); // its class crossed from driver 1
      const scheduled = await Promise.all(Array.from({ length: 10 }, () => rt.run(null, { name: 'whoami' })));
      expect(scheduled).toEqual(Array.from({ length: 10 }, () => ({ driver: 1 })));
    } finally {
      await rt.close();
    }
  });
});

describe('after a restart', () => {
  // Driver 1 is held while the old incarnation of driver 0 asks it something (request id 1) and
  // dies, and while the new incarnation asks its own first question (id 1 again). Released,
  // driver 1 answers both, the old answer first: it must not settle the new question.
  twoCpus("answers meant for the crashed incarnation never settle the new one's tasks", async () => {
    const rt = await Runtime.start({ filename: SETTLE_TASKS, drivers: 2, shutdown: { signals: false } });
    const held = newToken();
    const asked = newToken();
    let restarted = false;
    const onStart = (m: unknown) => (restarted ||= (m as { restart: boolean }).restart);
    subscribe('gatio:driver:start', onStart);
    try {
      const hold = rt.run(held, { name: 'hold', driver: 1 });
      expect(await caught(rt.run({ to: 1, arg: 'old' }, { name: 'askThenExit', driver: 0 }))).toBeInstanceOf(DriverCrashedError);
      await until(() => restarted, 'driver 0 restarted');
      const answer = rt.run({ token: asked, fillers: 0, to: 1, arg: 'new', options: { name: 'echo', driver: 1 } }, { name: 'forward', driver: 0 });
      await until(() => existsSync(marker(asked, '.sent')), 'the new incarnation asked');
      release(held);
      expect(await within(answer, 'the answer')).toBe('new');
      expect(await hold).toBe('released');
    } finally {
      unsubscribe('gatio:driver:start', onStart);
      release(held);
      await rt.close();
      clearMarkers(held);
      clearMarkers(asked);
    }
  });
});
