// run() fails by rejecting, never by throwing, and only runs what a task module exports: no
// driver to place a task on, an 'io' driver named directly, every driver down, a task name that
// is only inherited ('constructor' reached Function and failed with a SyntaxError).
import { Runtime, DriverClosedError, InvalidOptionError, UnknownTaskError } from '@gatio/core';
import { join } from 'node:path';
import { TASKS, allowedCpus, caught } from './helpers';
import { within } from './rt-settle-helpers';

const cpus = allowedCpus();
const twoCpus = cpus.length >= 2 ? test : test.skip;
if (cpus.length < 2) console.log('skipped: the io-driver test needs two allowed CPUs');

/** run() as a promise; a synchronous throw fails the test. */
function runNoThrow(rt: Runtime, ...args: Parameters<Runtime['run']>): Promise<unknown> {
  let p: Promise<unknown> | undefined;
  expect(() => {
    p = rt.run(...args);
  }).not.toThrow();
  return p!;
}

describe('run() rejects', () => {
  test('without options, when no driver takes tasks (only io drivers)', async () => {
    const rt = await Runtime.start({ filename: TASKS, drivers: [{ cpu: cpus[0], kind: 'io' }], shutdown: { signals: false } });
    try {
      for (const options of [undefined, {}, { key: 'k' }]) {
        const err = await caught(runNoThrow(rt, 1, options));
        expect(err).toBeInstanceOf(InvalidOptionError);
        expect(err.message).toMatch(/no 'exec' or 'hybrid' driver/);
      }
    } finally {
      await rt.close();
    }
  });

  twoCpus("naming an 'io' driver directly", async () => {
    const rt = await Runtime.start({ filename: TASKS, drivers: [{ cpu: cpus[0], kind: 'io' }, { cpu: cpus[1], kind: 'exec' }], shutdown: { signals: false } });
    try {
      const err = await caught(runNoThrow(rt, null, { name: 'whoami', driver: 0 }));
      expect(err).toBeInstanceOf(InvalidOptionError);
      expect(err.message).toMatch(/driver 0 is an 'io' driver: it runs no tasks/);
      expect(await rt.run(null, { name: 'whoami', driver: 1 })).toMatchObject({ driver: 1 });
    } finally {
      await rt.close();
    }
  });

  test('when every driver died and restart is off (scheduled, keyed, direct)', async () => {
    const rt = await Runtime.start({ filename: TASKS, drivers: 1, restart: false, shutdown: { signals: false } });
    try {
      expect((await caught(rt.run(null, { name: 'crash' }))).code).toBe('GATIO_ERR_DRIVER_CRASHED');
      for (const options of [undefined, { key: 7 }, { driver: 0 }]) {
        const err = await within(caught(runNoThrow(rt, 1, options)), `run(1, ${JSON.stringify(options)})`);
        expect(err).toBeInstanceOf(DriverClosedError);
        expect(err.message).toMatch(/exit code 3/);
        expect(err.message).toMatch(/restart is off/);
      }
      expect(rt.pendingCount).toBe(0);
    } finally {
      await rt.close();
    }
  });
});

describe('task names', () => {
  // Inherited by a function (CommonJS module.exports here) or an object, never exported.
  const inherited = ['constructor', 'toString', '__proto__', 'call', 'apply', 'bind', 'hasOwnProperty', 'valueOf', 'isPrototypeOf'];
  // Own, but not functions.
  const notFunctions = ['prototype', 'length', 'name'];

  test.each([
    ['CommonJS', TASKS],
    ['ESM', join(__dirname, 'fixtures', 'tasks.mjs')],
  ])('%s: only own function exports run; anything else is UnknownTaskError', async (_kind, filename) => {
    const rt = await Runtime.start({ filename, drivers: 1, shutdown: { signals: false } });
    try {
      for (const name of [...inherited, ...notFunctions, 'noSuchTask']) {
        const err = await caught(rt.run(1, { name }));
        expect([name, err]).toEqual([name, expect.any(UnknownTaskError)]);
        expect(err.message).toContain(`has no export named '${name}' that is a function`);
      }
      expect(await rt.run(3)).toBe(filename === TASKS ? 4 : 6); // the default export still runs
    } finally {
      await rt.close();
    }
  });
});
