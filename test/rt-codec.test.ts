// Values cross threads as postMessage's structured clone carries them: shared memory is shared,
// repeated references and cycles keep their identity, strings keep every code unit, and decoded
// bytes own their memory. Both directions: main thread -> driver (argument) and back (result).
import { Runtime } from '@gatio/core';
import { join } from 'node:path';
import { types } from 'node:util';

const CODEC_TASKS = join(__dirname, 'fixtures', 'codec-tasks.js');

describe('codec: what a postMessage user expects', () => {
  let rt: Runtime;
  beforeAll(async () => {
    rt = await Runtime.start({ filename: CODEC_TASKS, drivers: 1 });
  });
  afterAll(() => rt.close());

  describe('shared memory is shared, not copied', () => {
    test.each([
      ['Uint8Array', () => new Uint8Array(new SharedArrayBuffer(16))],
      ['Uint8Array at an offset', () => new Uint8Array(new SharedArrayBuffer(64), 8, 16)],
      ['Buffer', () => Buffer.from(new SharedArrayBuffer(16))],
      ['Int32Array', () => new Int32Array(new SharedArrayBuffer(16))],
    ])('a %s over a SharedArrayBuffer: the driver writes into the caller\'s memory', async (_name, make) => {
      const view = make();
      const back = (await rt.run({ view, at: 3, value: 77 }, { name: 'writeShared' })) as { view: Uint8Array; isShared: boolean };
      expect(back.isShared).toBe(true);
      expect(view[3]).toBe(77); // the driver wrote into the same memory
      // (not toBeInstanceOf: what postMessage delivers comes from Node's realm, not jest's)
      expect(types.isSharedArrayBuffer(back.view.buffer)).toBe(true);
      back.view[2] = 9;
      expect(view[2]).toBe(9); // the returned view is over the same memory too
    });

    test('nested in an object and inside a structured-clone value (Map)', async () => {
      const view = new Uint8Array(new SharedArrayBuffer(8));
      await rt.run({ at: 1, value: 5, view }, { name: 'writeShared' });
      expect(view[1]).toBe(5);
      const map = new Map([['v', view]]);
      const back = (await rt.run(map, { name: 'echo' })) as Map<string, Uint8Array>;
      back.get('v')![2] = 6;
      expect(view[2]).toBe(6);
    });

    test('a bare SharedArrayBuffer, and one created on the driver', async () => {
      const sab = new SharedArrayBuffer(8);
      const back = (await rt.run(sab, { name: 'echo' })) as SharedArrayBuffer;
      new Uint8Array(back)[0] = 1;
      expect(new Uint8Array(sab)[0]).toBe(1);
      // A view created on the driver: the driver blocks until the caller writes into it.
      const view = (await rt.run(null, { name: 'sharedResult' })) as Int32Array;
      const seen = rt.run(view, { name: 'waitForWrite' });
      // Atomics.store + notify: the driver sleeps in Atomics.wait on [1] of the same memory.
      Atomics.store(view, 1, 42);
      Atomics.notify(view, 1);
      expect(await seen).toBe(42);
    });
  });

  describe('identity: repeated references and cycles', () => {
    test('the same object twice arrives as one object (argument)', async () => {
      const x = { n: 1 };
      expect(await rt.run({ a: x, b: x }, { name: 'sameRefs' })).toEqual({ ab: true, cycle: false });
      const bytes = new Uint8Array([1]);
      expect(await rt.run({ a: bytes, b: bytes }, { name: 'sameRefs' })).toEqual({ ab: true, cycle: false });
      const list = [1, 2];
      expect(await rt.run({ a: list, b: list }, { name: 'sameRefs' })).toEqual({ ab: true, cycle: false });
      const cyclic: Record<string, unknown> = { a: 1, b: 2 };
      cyclic.self = cyclic;
      expect(await rt.run(cyclic, { name: 'sameRefs' })).toEqual({ ab: false, cycle: true });
    });

    test.each([false, true])('the same object twice arrives as one object (result, cycle %s)', async (cycle) => {
      const back = (await rt.run(cycle, { name: 'sharedRefs' })) as Record<string, unknown>;
      expect(back.a).toBe(back.b);
      expect((back.list as unknown[])[0]).toBe(back.a);
      expect((back.list as unknown[])[1]).toBe(back.a);
      expect(back.bytes1).toBe(back.bytes2);
      if (cycle) expect(back.self).toBe(back);
    });

    test('many distinct objects still arrive as distinct objects', async () => {
      const rows = Array.from({ length: 200 }, (_, i) => ({ i, tags: [i] }));
      const back = (await rt.run(rows, { name: 'echo' })) as typeof rows;
      expect(back).toEqual(rows);
      expect(new Set(back).size).toBe(200);
      // A repeat far into a long list is still seen.
      const shared = { s: 1 };
      const withRepeat = [...rows, shared, ...rows.slice(0, 50).map((r) => ({ ...r })), shared];
      const back2 = (await rt.run(withRepeat, { name: 'echo' })) as unknown[];
      expect(back2[200]).toBe(back2[back2.length - 1]);
    });
  });

  describe('strings keep every UTF-16 code unit', () => {
    test.each([
      ['a lone high surrogate', '\uD800'],
      ['a lone low surrogate inside ASCII', 'ab\uDC00cd'],
      ['a reversed pair', '\uDC00\uD800'],
      ['a long string with one', 'x'.repeat(100) + '\uD83D' + 'y'.repeat(100)],
      ['a valid pair next to a lone one', '\uD83D\uDE00\uD83D'],
    ])('%s', async (_name, s) => {
      const back = (await rt.run(s, { name: 'echo' })) as string;
      expect(back.length).toBe(s.length);
      expect(back === s).toBe(true);
      // On the driver too, not only after the round trip.
      expect(await rt.run(s, { name: 'codeUnits' })).toEqual(Array.from(s, (c) => c.codePointAt(0)));
    });

    test('in object keys', async () => {
      const key = 'k\uDFFF';
      const back = (await rt.run({ [key]: 1 }, { name: 'echo' })) as Record<string, number>;
      expect(Object.keys(back)).toEqual([key]);
    });
  });

  describe('decoded bytes own their memory (no shared pool, offset 0)', () => {
    test.each([
      ['small Buffer', () => Buffer.from('hi'), true],
      ['small Uint8Array', () => new Uint8Array([1, 2, 3]), false],
      ['1 KiB Buffer', () => Buffer.alloc(1024, 1), true],
      ['Buffer from the pool at an offset', () => Buffer.from('pooled bytes').subarray(3), true],
    ])('%s', async (_name, make, isBuffer) => {
      const value = make();
      // On the driver...
      expect(await rt.run(value, { name: 'bufferShape' })).toEqual({
        isBuffer,
        byteOffset: 0,
        bufferBytes: value.byteLength,
        bytes: value.byteLength,
      });
      // ...and back on the main thread.
      const back = (await rt.run(value, { name: 'echo' })) as Uint8Array;
      expect(Buffer.isBuffer(back)).toBe(isBuffer);
      expect(back.byteOffset).toBe(0);
      expect(back.buffer.byteLength).toBe(value.byteLength);
      expect(Buffer.from(back).equals(Buffer.from(value))).toBe(true);
    });

    test('typed arrays that take the structured-clone path', async () => {
      const f = new Float64Array([1.5, 2.5]);
      const back = (await rt.run({ f, m: new Map([[1, f]]) }, { name: 'echo' })) as { f: Float64Array };
      expect(back.f.byteOffset).toBe(0);
      expect(back.f.buffer.byteLength).toBe(16);
      expect(Array.from(back.f)).toEqual([1.5, 2.5]);
      expect(await rt.run(new Int16Array([1, 2, 3]), { name: 'bufferShape' })).toEqual({
        isBuffer: false,
        byteOffset: 0,
        bufferBytes: 6,
        bytes: 6,
      });
    });
  });

  test('an own __proto__ key stays a key (it does not set the prototype)', async () => {
    const value = JSON.parse('{"__proto__": {"polluted": true}, "a": 1}') as Record<string, unknown>;
    const back = (await rt.run(value, { name: 'echo' })) as Record<string, unknown>;
    expect(Object.keys(back)).toEqual(['__proto__', 'a']);
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
    expect(back.polluted).toBeUndefined();
  });
});
