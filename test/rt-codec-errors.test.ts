// Thrown values cross threads as postMessage users expect: a non-Error arrives as itself, and Errors
// of every Gatio package keep their class, name, code, cause and the remote stack.
import { Runtime, GatioError, TaskEncodeError } from '@gatio/core';
import { InvalidArgError, PortInUseError, SocketError } from '@gatio/native';
import { DatagramSendError, PortConfigMismatchError } from '@gatio/net';
import { join } from 'node:path';
import { caught } from './helpers';

const CODEC_TASKS = join(__dirname, 'fixtures', 'codec-tasks.js');
/** Larger than the default rings (256 KiB): the value takes postMessage. */
const OUT_OF_BAND = 1 << 20;

describe('codec: thrown values and errors', () => {
  let rt: Runtime;
  beforeAll(async () => {
    rt = await Runtime.start({ filename: CODEC_TASKS, drivers: 1 });
  });
  afterAll(() => rt.close());

  describe('a thrown non-Error arrives as the value itself (as piscina passes it)', () => {
    test.each([
      ['a string', 'boom'],
      ['null', null],
      ['a number', 42],
      ['false', false],
      ['a plain object', { reason: 'bad input', n: 1 }],
      ['an array', [1, 'two']],
      ['a long string', 's'.repeat(OUT_OF_BAND)],
    ])('%s, thrown and rejected', async (_name, value) => {
      for (const name of ['throwValue', 'rejectValue']) {
        let thrown: unknown = 'not rejected';
        await rt.run(value, { name }).catch((v: unknown) => (thrown = v));
        if (typeof value === 'string') expect(thrown === value).toBe(true); // no 1 MiB diff on failure
        else expect(thrown).toEqual(value);
      }
    });

    test('undefined and a cyclic object', async () => {
      let thrown: unknown = 'not rejected';
      await rt.run(null, { name: 'throwUndefined' }).catch((v: unknown) => (thrown = v));
      expect(thrown).toBeUndefined();
      const cyclic = (await rt.run(null, { name: 'throwCyclic' }).catch((v: unknown) => v)) as Record<string, unknown>;
      expect(cyclic.kind).toBe('cyclic');
      expect(cyclic.self).toBe(cyclic);
    });
  });

  test('an Error keeps its cause', async () => {
    const err = await caught(rt.run(null, { name: 'throwWithCause' }));
    expect(err).toBeInstanceOf(RangeError);
    expect(err.message).toBe('outer');
    expect(err.cause).toBeInstanceOf(TypeError);
    expect((err.cause as Error).message).toBe('inner');
  });

  test('the unknown-task message reads right', async () => {
    const err = await caught(rt.run(1, { name: 'nope' }));
    expect(err.message).toContain("has no export named 'nope' that is a function");
  });

  describe('error classes of every package keep class, name, code, fields and the remote stack', () => {
    test.each([
      ['@gatio/net, thrown', 'throwNet', undefined, PortConfigMismatchError, { port: 4000, driver: 1, field: 'backlog' }],
      ['@gatio/net, rejected', 'rejectNet', undefined, DatagramSendError, { failed: 3, errno: 90 }],
      ['@gatio/native', 'throwNative', 'arg', InvalidArgError, {}],
      ['@gatio/native, a subclass', 'throwNative', 'port', PortInUseError, { port: 4000, errno: 98, op: 'bind' }],
      ['@gatio/core', 'throwCore', undefined, TaskEncodeError, {}],
    ])('%s', async (_name, task, arg, Class, fields) => {
      const err = await caught(rt.run(arg, { name: task }));
      expect(err).toBeInstanceOf(Class);
      expect(err).toBeInstanceOf(GatioError);
      expect(Object.getPrototypeOf(err)).toBe(Class.prototype);
      expect(err.name).toBe(Class.name);
      expect(err.code).toBe(Class.code);
      expect(err.stack).toContain('codec-tasks.js');
      expect(err).toMatchObject(fields);
      if (Class === PortInUseError) expect(err).toBeInstanceOf(SocketError);
    });
  });
});
