// The codec on its own (no threads): what each kind of value encodes to, and that decoding gives
// what structured clone gives. The rt-codec tests check the same across real driver threads.
import { CANNOT_ENCODE, Codec, NEEDS_CLONE, NEEDS_POST, NO_SPACE } from './codec';
import { TAG_STRING, TAG_STRING16 } from './tags';

const codec = new Codec(new SharedArrayBuffer(1 << 16));
const END = 1 << 16;

/** Encodes like the Endpoint does (fast path, then structured clone) and decodes it back. */
function roundTrip(value: unknown): unknown {
  let end = codec.encode(0, END, value);
  if (end === NEEDS_CLONE) end = codec.encodeCloned(0, END, value);
  expect(end).toBeGreaterThan(0);
  codec.pos = 0;
  const back = codec.decode();
  expect(codec.pos).toBe(end);
  return back;
}

function encodeResult(value: unknown): number {
  const end = codec.encode(0, END, value);
  return end === NEEDS_CLONE ? codec.encodeCloned(0, END, value) : end;
}

describe('identity', () => {
  test('an object met twice takes structured clone, which keeps it one object', () => {
    const x = { n: 1 };
    expect(codec.encode(0, END, { a: x, b: x })).toBe(NEEDS_CLONE);
    expect(codec.encode(0, END, [x, x])).toBe(NEEDS_CLONE);
    const back = roundTrip({ a: x, b: [x] }) as { a: object; b: object[] };
    expect(back.a).toBe(back.b[0]);
  });

  test('past the linear scan (more than 16 objects) a repeat is still found', () => {
    const rows = Array.from({ length: 40 }, (_, i) => ({ i }));
    expect(codec.encode(0, END, rows)).toBeGreaterThan(0);
    expect(codec.encode(0, END, [...rows, rows[3]])).toBe(NEEDS_CLONE);
    expect(codec.encode(0, END, [...rows, rows[39]])).toBe(NEEDS_CLONE);
  });

  test('objects of an earlier value are forgotten, also after a failure or NO_SPACE', () => {
    const x = { n: 1 };
    const many = Array.from({ length: 40 }, () => ({}));
    expect(codec.encode(0, END, { x })).toBeGreaterThan(0);
    expect(codec.encode(0, END, { x })).toBeGreaterThan(0);
    expect(codec.encode(0, END, [...many, x])).toBeGreaterThan(0);
    expect(codec.encode(0, END, [x, ...many])).toBeGreaterThan(0);
    const bad = {
      x,
      get bad(): never {
        throw new Error('getter');
      },
    };
    expect(codec.encode(0, END, bad)).toBe(CANNOT_ENCODE);
    expect(codec.encode(0, 16, { x, pad: 'p'.repeat(100) })).toBe(NO_SPACE);
    expect(codec.encode(0, END, { x })).toBeGreaterThan(0);
    // The 17th object met is a repeat: the Set was just filled, and must be emptied all the same.
    const fifteen = many.slice(0, 15);
    expect(codec.encode(0, END, [...fifteen, fifteen[0]])).toBe(NEEDS_CLONE);
    expect(codec.encode(0, END, [...many, many[20]])).toBe(NEEDS_CLONE);
    expect(codec.encode(0, END, [...fifteen, fifteen[0]])).toBe(NEEDS_CLONE);
    expect(codec.encode(0, END, many)).toBeGreaterThan(0);
  });
});

describe('strings', () => {
  test.each([
    ['ASCII', 'hello', TAG_STRING],
    ['UTF-8', 'héllo ✓ 𝄞', TAG_STRING],
    ['long ASCII', 'x'.repeat(1000), TAG_STRING],
    ['a lone surrogate', 'a\uD800b', TAG_STRING16],
    ['a long one with a lone surrogate', 'é'.repeat(100) + '\uDC00', TAG_STRING16],
  ])('%s keeps every code unit', (_name, s, tag) => {
    expect(encodeResult(s)).toBeGreaterThan(0);
    expect(codec.i32[0]).toBe(tag);
    codec.pos = 0;
    expect(codec.decode() === s).toBe(true);
  });

  test('a UTF-16 string that does not fit is NO_SPACE', () => {
    expect(codec.encode(0, 16, '\uD800'.repeat(8))).toBe(NO_SPACE);
  });
});

describe('bytes', () => {
  test.each([
    ['Buffer', Buffer.from('abc'), true],
    ['pooled Buffer at an offset', Buffer.from('0123456789').subarray(4, 6), true],
    ['Uint8Array', new Uint8Array([1, 2, 3]), false],
    ['Uint8Array at an offset', new Uint8Array(new ArrayBuffer(32), 8, 4), false],
  ])('a decoded %s owns an ArrayBuffer of its own size', (_name, bytes, isBuffer) => {
    const back = roundTrip(bytes) as Uint8Array;
    expect(Buffer.isBuffer(back)).toBe(isBuffer);
    expect(back.byteOffset).toBe(0);
    expect(back.buffer.byteLength).toBe(bytes.byteLength);
    expect(back.buffer).not.toBeInstanceOf(SharedArrayBuffer);
    expect(Array.from(back)).toEqual(Array.from(bytes));
  });

  test('typed arrays from the structured-clone path own their memory too', () => {
    const back = roundTrip({ f: new Float64Array([1, 2]), d: new DataView(new ArrayBuffer(4)), m: new Map() }) as {
      f: Float64Array;
      d: DataView;
    };
    expect(back.f.byteOffset).toBe(0);
    expect(back.f.buffer.byteLength).toBe(16);
    expect(back.d.byteOffset).toBe(0);
    expect(back.d.buffer.byteLength).toBe(4);
  });

  test('shared memory anywhere in the value is NEEDS_POST (postMessage shares it)', () => {
    const sab = new SharedArrayBuffer(8);
    expect(codec.encode(0, END, new Uint8Array(sab))).toBe(NEEDS_POST);
    expect(codec.encode(0, END, { deep: [Buffer.from(sab)] })).toBe(NEEDS_POST);
    for (const value of [sab, new Int32Array(sab), new Map([[1, new Uint8Array(sab)]]), { s: sab }]) {
      expect(encodeResult(value)).toBe(NEEDS_POST);
    }
  });
});

describe('values that cannot be encoded', () => {
  test.each([
    [
      'a throwing getter',
      {
        get x(): never {
          throw new Error('getter throws');
        },
      },
      'getter throws',
    ],
    [
      'a Proxy whose traps throw',
      new Proxy(
        {},
        {
          getPrototypeOf() {
            throw new Error('trap throws');
          },
        },
      ),
      'trap throws',
    ],
    ['a function (structured clone refuses it)', { f: () => 1 }, 'could not be cloned'],
    ['a symbol', [Symbol('s')], 'could not be cloned'],
  ])('%s is CANNOT_ENCODE, with the reason', (_name, value, reason) => {
    expect(encodeResult(value)).toBe(CANNOT_ENCODE);
    expect(String((codec.takeFailure() as Error).message)).toContain(reason);
    expect(codec.takeFailure()).toBeNull();
  });
});

test("an own '__proto__' key stays an own key", () => {
  const back = roundTrip(JSON.parse('{"__proto__": {"x": 1}}')) as Record<string, unknown>;
  expect(Object.keys(back)).toEqual(['__proto__']);
  expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
});
