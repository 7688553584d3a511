// Bad input to every export gets its typed error; instanceof works across copies of the library.
import * as native from '@gatio/native';
import {
  CpuNotAllowedError,
  GatioError,
  InvalidArgError,
  InvalidCpuError,
  NativeError,
  toNativeError,
  topology,
} from '@gatio/native';

const { allowed } = topology();
const outside = Math.max(...allowed) + 1;
const allowedText = `[${allowed.join(', ')}]`;
type AnyFn = (...args: unknown[]) => unknown;
type ErrorClass = (new (...args: never[]) => GatioError) & { code: string };
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('pinThread bad input', () => {
  const cases: Array<[string, unknown[], ErrorClass, RegExp]> = [
    ['a CPU outside the allowed set', [outside], CpuNotAllowedError, new RegExp(`^${escape(`GATIO_ERR_CPU_NOT_ALLOWED: CPU ${outside} is not in this process's allowed CPU set ${allowedText} (see topology().allowed)`)}$`)],
    ['one bad CPU in a list', [[allowed[0], outside]], CpuNotAllowedError, new RegExp(`CPU ${outside} is not`)],
    ['an empty list', [[]], InvalidCpuError, /cpus must not be empty; pick CPUs from this process's allowed CPU set \[/],
    ['a negative CPU', [-1], InvalidCpuError, /pinThread\(cpus\): cpus must be a non-negative integer CPU id, got -1; this process's allowed CPU set is \[/],
    ['a fractional CPU', [[0, 1.5]], InvalidCpuError, /cpus\[1\] must be a non-negative integer CPU id, got 1\.5/],
    ['a string in the list', [['0']], InvalidCpuError, /cpus\[0\] must be a non-negative integer CPU id, got "0"/],
    ['NaN', [NaN], InvalidCpuError, /got NaN/],
    ['a string', ['0'], InvalidArgError, /^GATIO_ERR_INVALID_ARG: pinThread\(cpus\): cpus must be a CPU id or an array of CPU ids, got "0"$/],
    ['no argument', [], InvalidArgError, /pinThread\(cpus\) takes 1 argument, got 0/],
    ['two arguments', [0, 1], InvalidArgError, /takes 1 argument, got 2/],
  ];
  test.each(cases)('%s', (_name, args, cls, message) => {
    let caught: unknown;
    try {
      (native.pinThread as AnyFn)(...args);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(cls);
    expect(caught).toBeInstanceOf(GatioError);
    expect(caught).toBeInstanceOf(Error);
    expect((caught as GatioError).code).toBe(cls.code);
    expect((caught as Error).message).toMatch(message);
  });
});

describe('exports without arguments refuse arguments', () => {
  test.each(['topology', 'threadAffinity', 'threadId', 'yieldThread', 'ioUringProbe', 'assertIoUring'] as const)('%s', (name) => {
    const fn = native[name] as AnyFn;
    expect(() => fn(1)).toThrow(InvalidArgError);
    expect(() => fn(1)).toThrow(`GATIO_ERR_INVALID_ARG: ${name}() takes no arguments, got 1`);
  });
});

describe('error classes', () => {
  test('codes are stable static and instance properties', () => {
    expect(CpuNotAllowedError.code).toBe('GATIO_ERR_CPU_NOT_ALLOWED');
    const err = new CpuNotAllowedError(9, [0, 1]);
    expect(err.code).toBe(CpuNotAllowedError.code);
    expect(err.name).toBe('CpuNotAllowedError');
    expect(err.cpu).toBe(9);
    expect(err.allowed).toEqual([0, 1]);
    expect(err).not.toBeInstanceOf(InvalidArgError);
  });

  test('instanceof works across two copies of the library', () => {
    let other: typeof native | undefined;
    jest.isolateModules(() => {
      other = require('@gatio/native');
    });
    expect(other!.GatioError).not.toBe(GatioError);
    let caught: unknown;
    try {
      other!.pinThread(outside);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(other!.CpuNotAllowedError);
    expect(caught instanceof CpuNotAllowedError).toBe(true);
    expect(caught instanceof GatioError).toBe(true);
    expect(caught instanceof InvalidArgError).toBe(false);
    expect(new InvalidArgError('x') instanceof other!.GatioError).toBe(true);
    expect(new Error('x') instanceof GatioError).toBe(false);
    expect(Object.assign(new Error('x'), { code: 'GATIO_ERR_INVALID_ARG' }) instanceof InvalidArgError).toBe(false);
  });

  test('a subclass defined by another package works the same way', () => {
    class RingFullError extends GatioError {
      static readonly code = 'GATIO_ERR_RING_FULL';
      constructor() {
        super(RingFullError.code, 'ring is full');
      }
    }
    const err = new RingFullError();
    expect(err).toBeInstanceOf(GatioError);
    expect(err.message).toBe('GATIO_ERR_RING_FULL: ring is full');
    expect(err instanceof NativeError).toBe(false);
  });

  test('toNativeError converts the addon boundary errors', () => {
    const raw = Object.assign(new Error('GATIO_ERR_NATIVE: sched_setaffinity failed: Invalid argument (errno 22)'), {
      code: 'GATIO_ERR_NATIVE', errno: 22, syscall: 'sched_setaffinity',
    });
    const err = toNativeError(raw) as NativeError;
    expect(err).toBeInstanceOf(NativeError);
    expect(err.errno).toBe(22);
    expect(err.syscall).toBe('sched_setaffinity');
    expect(err.message).toBe('GATIO_ERR_NATIVE: sched_setaffinity failed: Invalid argument (errno 22)');
    const plain = new Error('other');
    expect(toNativeError(plain)).toBe(plain);
  });

  test('the raw addon guards throw GATIO_ERR_INVALID_ARG', () => {
    const addon = require(native.addonPath);
    let caught: { code?: string } | undefined;
    try {
      addon.pinThread('nope');
    } catch (err) {
      caught = err as { code?: string };
    }
    expect(caught?.code).toBe('GATIO_ERR_INVALID_ARG');
    expect(toNativeError(caught)).toBeInstanceOf(InvalidArgError);
  });
});
