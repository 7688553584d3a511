// close() does not wait for its deadline when nothing holds it: an idle runtime, one right after
// forwarded work, and drivers whose work for each other continues after one of them reported
// 'closed' (it keeps answering until every driver is done), or crashes while closing (what the
// others await from it fails at once). The bounds are "did not wait for the 10 s deadline"
// checks, far above what the machine needs, not timings.
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { Runtime } from '@gatio/core';
import { allowedCpus } from './helpers';
import { SETTLE_TASKS, clearMarkers, newToken, readMarker, until } from './rt-settle-helpers';

const DEADLINE_MS = 10000;
/** Far below the deadline: close() that took this long waited for something that never came. */
const PROMPT_MS = 3000;

/** Closes `rt`; resolves with how long it took and whether it ended gracefully (not destroyed). */
async function timedClose(rt: Runtime): Promise<{ ms: number; graceful: boolean }> {
  let graceful: boolean | undefined;
  const onClose = (m: unknown) => (graceful = (m as { graceful: boolean }).graceful);
  subscribe('gatio:runtime:close', onClose);
  try {
    const t0 = performance.now();
    await rt.close();
    return { ms: performance.now() - t0, graceful: graceful! };
  } finally {
    unsubscribe('gatio:runtime:close', onClose);
  }
}

const start = (drivers: number) => Runtime.start({ filename: SETTLE_TASKS, drivers, shutdown: { signals: false, timeoutMs: DEADLINE_MS } });

const cpus = allowedCpus();
const twoCpus = cpus.length >= 2 ? test : test.skip;
if (cpus.length < 2) console.log('skipped: the forwarding close tests need two allowed CPUs (two drivers)');

describe('close() is prompt', () => {
  test('an idle runtime closes well before its deadline', async () => {
    const rt = await start(Math.min(2, cpus.length));
    await Promise.all(Array.from({ length: 100 }, (_, i) => rt.run(i, { name: 'echo' })));
    const { ms, graceful } = await timedClose(rt);
    expect(graceful).toBe(true);
    expect(ms).toBeLessThan(PROMPT_MS);
  });

  twoCpus('right after work forwarded between drivers', async () => {
    const rt = await start(2);
    const token = newToken();
    try {
      const forwarded = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          rt.run({ token, fillers: 10, to: i % 2, arg: null, options: { name: 'whoami', driver: i % 2 } }, { name: 'forward', driver: (i + 1) % 2 }),
        ),
      );
      expect(forwarded.map((r) => (r as { driver: number }).driver)).toEqual(Array.from({ length: 50 }, (_, i) => i % 2));
      const { ms, graceful } = await timedClose(rt);
      expect(graceful).toBe(true);
      expect(ms).toBeLessThan(PROMPT_MS);
    } finally {
      clearMarkers(token);
    }
  });

  // Driver 1 keeps itself busy (a task of its own, which the main thread does not wait for) and
  // meanwhile sends a task to driver 0, which was idle and reported 'closed' long before.
  (cpus.length >= 2 ? test : test.skip).each([
    ['whoami', 'is answered: a driver that reported closed still serves the others', 'ok {"driver":0}'],
    ['crash', 'fails at once: a crash while closing is not ignored', 'err GATIO_ERR_DRIVER_CRASHED'],
  ])('a task sent to a closing driver (%s) %s', async (name, _what, outcome) => {
    const rt = await start(2);
    const token = newToken();
    try {
      expect(await rt.run({ token, to: 0, name, arg: null, busyMs: 600, delayMs: 150 }, { name: 'detachedForward', driver: 1 })).toBe('started');
      const { ms, graceful } = await timedClose(rt);
      expect(graceful).toBe(true);
      expect(ms).toBeLessThan(PROMPT_MS);
      await until(() => readMarker(token, '.done') !== null, 'the forwarded task settled', 1000);
      expect(readMarker(token, '.done')).toBe(outcome);
    } finally {
      clearMarkers(token);
    }
  });
});
