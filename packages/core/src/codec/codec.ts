/**
 * Compact codec that writes JavaScript values straight into a ring's shared memory and reads them
 * back on the other thread, with no intermediate buffer on the fast paths.
 *
 * Encoding works in place: `encode` returns the next free byte offset, NO_SPACE when the value did
 * not fit before `end` (the caller wraps, waits or takes the out-of-band path) or NEEDS_CLONE when
 * the value holds something the fast paths do not cover (the caller re-encodes the whole value
 * as one structured-clone blob, which also handles cycles and shared references).
 * Offsets are absolute byte offsets into the arena and stay 4-byte aligned.
 */
import { deserialize, serialize } from 'node:v8';
import * as T from './tags';

export const NO_SPACE = -1;
export const NEEDS_CLONE = -2;
/** Deeper plain objects go through structured clone (also what breaks cycles). */
const MAX_DEPTH = 16;
/** Short strings are copied char by char; longer ones go through Buffer's native UTF-8 paths. */
const SHORT_STRING = 24;
const objectProto = Object.prototype;

function pad4(n: number): number {
  return (n + 3) & ~3;
}

export class Codec {
  readonly i32: Int32Array;
  readonly f64: Float64Array;
  readonly u8: Uint8Array;
  readonly buf: Buffer;

  constructor(sab: SharedArrayBuffer) {
    this.i32 = new Int32Array(sab);
    this.f64 = new Float64Array(sab, 0, sab.byteLength >> 3);
    this.u8 = new Uint8Array(sab);
    this.buf = Buffer.from(sab);
  }

  encode(off: number, end: number, value: unknown, depth: number): number {
    const i32 = this.i32;
    switch (typeof value) {
      case 'number': {
        if ((value | 0) === value && !Object.is(value, -0)) {
          if (off + 8 > end) return NO_SPACE;
          i32[off >> 2] = T.TAG_INT32;
          i32[(off >> 2) + 1] = value;
          return off + 8;
        }
        const at = (off + 4 + 7) & ~7; // the double itself is 8-byte aligned
        if (at + 8 > end) return NO_SPACE;
        i32[off >> 2] = T.TAG_FLOAT64;
        this.f64[at >> 3] = value;
        return at + 8;
      }
      case 'string':
        return this.encodeString(off, end, value, T.TAG_STRING);
      case 'boolean':
        if (off + 4 > end) return NO_SPACE;
        i32[off >> 2] = value ? T.TAG_TRUE : T.TAG_FALSE;
        return off + 4;
      case 'undefined':
        if (off + 4 > end) return NO_SPACE;
        i32[off >> 2] = T.TAG_UNDEFINED;
        return off + 4;
      case 'object':
        if (value === null) {
          if (off + 4 > end) return NO_SPACE;
          i32[off >> 2] = T.TAG_NULL;
          return off + 4;
        }
        if (depth >= MAX_DEPTH) return NEEDS_CLONE;
        if (Array.isArray(value)) return this.encodeArray(off, end, value, depth);
        if (value instanceof Uint8Array) return this.encodeBytes(off, end, value);
        {
          const proto = Object.getPrototypeOf(value);
          if (proto === objectProto || proto === null) {
            return this.encodeObject(off, end, value as Record<string, unknown>, depth);
          }
        }
        return NEEDS_CLONE;
      default:
        return NEEDS_CLONE; // bigint, symbol, function: structured clone decides
    }
  }

  /** Writes the whole value as one v8.serialize blob; throws the DataCloneError for uncloneables. */
  encodeCloned(off: number, end: number, value: unknown): number {
    const bytes = serialize(value);
    const at = off + 8;
    if (pad4(at + bytes.length) > end) return NO_SPACE;
    this.i32[off >> 2] = T.TAG_SERIALIZED;
    this.i32[(off >> 2) + 1] = bytes.length;
    this.u8.set(bytes, at);
    return pad4(at + bytes.length);
  }

  encodeString(off: number, end: number, s: string, tag: number): number {
    const n = s.length;
    const at = off + 8;
    if (n <= SHORT_STRING) {
      // Fast path: ASCII written byte by byte; anything wider goes through the UTF-8 writer.
      if (pad4(at + n) > end) return NO_SPACE;
      const u8 = this.u8;
      let i = 0;
      for (; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c > 0x7f) break;
        u8[at + i] = c;
      }
      if (i === n) {
        this.i32[off >> 2] = tag;
        this.i32[(off >> 2) + 1] = n;
        return pad4(at + n);
      }
    }
    const room = (end - at) & ~3; // keep the padded end inside the limit
    if (room < 0) return NO_SPACE;
    // Up to 3 bytes per UTF-16 unit; only measure exactly when the worst case might not fit.
    if (n * 3 > room && Buffer.byteLength(s, 'utf8') > room) return NO_SPACE;
    const written = this.buf.write(s, at, room, 'utf8');
    this.i32[off >> 2] = tag;
    this.i32[(off >> 2) + 1] = written;
    return pad4(at + written);
  }

  private encodeBytes(off: number, end: number, bytes: Uint8Array): number {
    const at = off + 12;
    const n = bytes.byteLength;
    if (pad4(at + n) > end) return NO_SPACE;
    this.i32[off >> 2] = T.TAG_BYTES;
    this.i32[(off >> 2) + 1] = n;
    this.i32[(off >> 2) + 2] = Buffer.isBuffer(bytes) ? 1 : 0;
    this.u8.set(bytes, at);
    return pad4(at + n);
  }

  private encodeArray(off: number, end: number, arr: unknown[], depth: number): number {
    if (off + 8 > end) return NO_SPACE;
    const n = arr.length;
    this.i32[off >> 2] = T.TAG_ARRAY;
    this.i32[(off >> 2) + 1] = n;
    let p = off + 8;
    for (let i = 0; i < n; i++) {
      if (!(i in arr)) return NEEDS_CLONE; // holes: keep structured-clone semantics
      p = this.encode(p, end, arr[i], depth + 1);
      if (p < 0) return p;
    }
    return p;
  }

  private encodeObject(off: number, end: number, obj: Record<string, unknown>, depth: number): number {
    if (off + 8 > end) return NO_SPACE;
    this.i32[off >> 2] = T.TAG_OBJECT;
    let p = off + 8;
    let count = 0;
    for (const key in obj) {
      p = this.encodeString(p, end, key, T.TAG_STRING);
      if (p < 0) return p;
      p = this.encode(p, end, obj[key], depth + 1);
      if (p < 0) return p;
      count++;
    }
    this.i32[(off >> 2) + 1] = count;
    return p;
  }

  // ---- decoding: `this.pos` is the read cursor, advanced past each value ----
  pos = 0;

  decode(): unknown {
    const i32 = this.i32;
    const off = this.pos;
    const tag = i32[off >> 2];
    switch (tag) {
      case T.TAG_INT32:
        this.pos = off + 8;
        return i32[(off >> 2) + 1];
      case T.TAG_FLOAT64: {
        const at = (off + 4 + 7) & ~7;
        this.pos = at + 8;
        return this.f64[at >> 3];
      }
      case T.TAG_STRING:
        return this.decodeString();
      case T.TAG_UNDEFINED:
        this.pos = off + 4;
        return undefined;
      case T.TAG_NULL:
        this.pos = off + 4;
        return null;
      case T.TAG_TRUE:
        this.pos = off + 4;
        return true;
      case T.TAG_FALSE:
        this.pos = off + 4;
        return false;
      case T.TAG_BYTES: {
        const n = i32[(off >> 2) + 1];
        const isBuffer = i32[(off >> 2) + 2] === 1;
        const at = off + 12;
        this.pos = pad4(at + n);
        const copy = Buffer.allocUnsafe(n);
        this.buf.copy(copy, 0, at, at + n);
        return isBuffer ? copy : new Uint8Array(copy.buffer, copy.byteOffset, n);
      }
      case T.TAG_ARRAY: {
        const n = i32[(off >> 2) + 1];
        this.pos = off + 8;
        const arr: unknown[] = []; // push keeps the array packed (new Array(n) would be holey)
        for (let i = 0; i < n; i++) arr.push(this.decode());
        return arr;
      }
      case T.TAG_OBJECT: {
        const n = i32[(off >> 2) + 1];
        this.pos = off + 8;
        const obj: Record<string, unknown> = {};
        for (let i = 0; i < n; i++) {
          const key = this.decodeString();
          obj[key] = this.decode();
        }
        return obj;
      }
      case T.TAG_SERIALIZED: {
        const n = i32[(off >> 2) + 1];
        const at = off + 8;
        this.pos = pad4(at + n);
        // deserialize needs its own bytes: the ring slot is reused once the consumer moves on.
        return deserialize(Buffer.from(this.u8.slice(at, at + n).buffer));
      }
      default:
        throw new Error(`gatio codec: corrupt record (tag ${tag} at byte ${off})`);
    }
  }

  decodeString(): string {
    const off = this.pos;
    const n = this.i32[(off >> 2) + 1];
    const at = off + 8;
    this.pos = pad4(at + n);
    if (n <= SHORT_STRING) {
      const u8 = this.u8;
      let s = '';
      let i = 0;
      for (; i < n; i++) {
        const c = u8[at + i];
        if (c > 0x7f) break;
        s += String.fromCharCode(c);
      }
      if (i === n) return s;
    }
    return this.buf.toString('utf8', at, at + n);
  }
}
