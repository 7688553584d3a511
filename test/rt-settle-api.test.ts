// run() only runs what a task module exports: a task name that is only inherited ('constructor'
// reached Function and failed with a SyntaxError) is an unknown task.
import { Runtime, UnknownTaskError } from '@gatio/core';
import { join } from 'node:path';
import { TASKS, caught } from './helpers';

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
