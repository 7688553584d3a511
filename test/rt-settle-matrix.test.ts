// Every task settles, whatever happens to its driver: the matrix of issue #12.
//   cause: driver 0 closing (rt.close()), dead (crashed, restart: false), restarting (crashed)
//   route: direct ({ driver: 0 }), scheduled (round-robin: the first of a pair goes to driver 0,
//          its companion to driver 1), keyed (key 0 hashes to driver 0), forwarded (a task on
//          driver 1 calls ctx.run to driver 0)
//   phase: queued (waiting for room in a full ring when the cause comes), in flight (running on
//          driver 0), after (sent once the runtime knows the cause)
// Driver 0 is held by a task that blocks it until the test releases it (and, for a crash, exits
// then), so what is queued or in flight at that moment is known, not left to timing.
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { existsSync } from 'node:fs';
import { Runtime } from '@gatio/core';
import { allowedCpus } from './helpers';
import { SETTLE_TASKS, clearMarkers, marker, newToken, release, track, until, within, type Outcome, type Tracked } from './rt-settle-helpers';

type Cause = 'closing' | 'dead' | 'restarting';
type Phase = 'queued' | 'in flight' | 'after';
type Subject = 'direct' | 'scheduled' | 'companion' | 'keyed' | 'forwarded';

const VALUE = 'value';
const CRASHED = 'GATIO_ERR_DRIVER_CRASHED';
const DRIVER_CLOSED = 'GATIO_ERR_DRIVER_CLOSED';
const RUNTIME_CLOSED = 'GATIO_ERR_RUNTIME_CLOSED';

/** What each task must end with. */
function expected(cause: Cause, phase: Phase, subject: Subject): Outcome {
  const onDriver1 = subject === 'companion' || (cause === 'dead' && phase === 'after' && subject === 'scheduled');
  const value = phase === 'in flight' ? 50 : { driver: onDriver1 ? 1 : 0 };
  if (cause === 'closing') return phase === 'after' ? { code: RUNTIME_CLOSED } : { code: VALUE, value };
  if (onDriver1) return { code: VALUE, value };
  if (phase === 'in flight') return { code: CRASHED };
  if (cause === 'restarting') return { code: VALUE, value };
  return { code: DRIVER_CLOSED };
}

/** The task of each route; in flight: an async one still running when driver 0 is stopped. */
function submitAll(rt: Runtime, phase: Phase, token: string): Record<Subject, Tracked> {
  const [name, arg] = phase === 'in flight' ? ['sleep', 50] : ['whoami', null];
  return {
    direct: track(rt.run(arg, { name, driver: 0 })),
    scheduled: track(rt.run(arg, { name })),
    companion: track(rt.run(arg, { name })),
    keyed: track(rt.run(arg, { name, key: 0 })),
    forwarded: track(
      rt.run({ token, fillers: phase === 'queued' ? 30 : 0, to: 0, arg, options: { name, driver: 0 } }, { name: 'forward', driver: 1 }),
    ),
  };
}

const cpus = allowedCpus();
const twoCpus = cpus.length >= 2 ? describe : describe.skip;
if (cpus.length < 2) console.log('skipped: the settle matrix needs two allowed CPUs (two drivers)');

const cases: [Cause, Phase][] = [];
for (const cause of ['closing', 'dead', 'restarting'] as const) for (const phase of ['queued', 'in flight', 'after'] as const) cases.push([cause, phase]);

twoCpus('every task settles', () => {
  test.each(cases)('driver 0 %s, tasks %s: each route settles with its result or the right error', async (cause, phase) => {
    const token = newToken();
    const closes: boolean[] = [];
    const onClose = (m: unknown) => closes.push((m as { graceful: boolean }).graceful);
    subscribe('gatio:runtime:close', onClose);
    const rt = await Runtime.start({
      filename: SETTLE_TASKS,
      drivers: 2,
      policy: 'round-robin',
      restart: cause === 'restarting',
      ringBytes: { main: 256, peer: 256 },
      shutdown: { signals: false },
    });
    try {
      let tasks = {} as Record<Subject, Tracked>;
      const fillers: Tracked[] = [];
      const holdTask = cause === 'closing' ? 'hold' : 'holdThenExit';
      let hold: Tracked;
      if (phase === 'in flight') {
        tasks = submitAll(rt, phase, token);
        // direct, scheduled, keyed and forwarded run on driver 0 (the companion on driver 1).
        await until(() => rt.stats().drivers[0].running === 4, 'four tasks running on driver 0');
        hold = track(rt.run(token, { name: holdTask, driver: 0 }));
      } else {
        hold = track(rt.run(token, { name: holdTask, driver: 0 }));
        if (phase === 'queued') {
          // Driver 0 reads nothing while held: fill its ring, so what follows waits in backlogs.
          while (rt.queueSize === 0 && fillers.length < 1000) fillers.push(track(rt.run(0, { name: 'echo', driver: 0 })));
          tasks = submitAll(rt, phase, token);
          expect(rt.queueSize).toBeGreaterThanOrEqual(4); // a filler, direct, scheduled, keyed
          await until(() => existsSync(marker(token, '.sent')), 'driver 1 sent its tasks to driver 0');
        }
      }

      let closing: Promise<void> | null = null;
      let crashed: Promise<void> | null = null;
      const settledAtCrash: Partial<Record<Subject, boolean>> = {};
      if (cause === 'closing') closing = rt.close({ timeoutMs: 30000 });
      else {
        // One event-loop turn after the runtime saw the crash: what it can settle has settled.
        crashed = new Promise((resolve) =>
          rt.once('crash', () =>
            setImmediate(() => {
              for (const [k, t] of Object.entries(tasks)) settledAtCrash[k as Subject] = t.settled;
              resolve();
            }),
          ),
        );
      }
      release(token);
      if (crashed !== null) await within(crashed, 'the crash event');
      if (phase === 'after') tasks = submitAll(rt, phase, token);

      const outcomes = await within(Promise.all(Object.values(tasks).map((t) => t.outcome)), 'the tasks');
      const got = Object.fromEntries(Object.keys(tasks).map((k, i) => [k, outcomes[i]]));
      const want = Object.fromEntries(Object.keys(tasks).map((k) => [k, expected(cause, phase, k as Subject)]));
      for (const k of Object.keys(want)) {
        if (want[k].code !== VALUE) delete got[k].value;
        delete got[k].message;
      }
      expect(got).toEqual(want);

      // Settled by the runtime itself in the turn it learned of the crash (the forwarded task
      // learns it from a message to driver 1, and restarting queued tasks wait for the restart).
      if (cause !== 'closing' && phase !== 'after') {
        for (const k of ['direct', 'scheduled', 'keyed'] as const) {
          if (expected(cause, phase, k).code !== VALUE) expect([k, settledAtCrash[k]]).toEqual([k, true]);
        }
      }
      const fillerCodes = new Set((await within(Promise.all(fillers.map((f) => f.outcome)), 'the fillers')).map((o) => o.code));
      for (const code of fillerCodes) expect([VALUE, CRASHED, DRIVER_CLOSED]).toContain(code);
      expect((await within(hold.outcome, 'the holding task')).code).toBe(cause === 'closing' ? VALUE : CRASHED);
      if (closing !== null) {
        await within(closing, 'close()');
        expect(closes).toEqual([true]); // graceful: not cut short by its deadline
      }
    } finally {
      release(token);
      await rt.close();
      clearMarkers(token);
      unsubscribe('gatio:runtime:close', onClose);
    }
  });
});
