/**
 * Compact codec that writes JavaScript values straight into a ring's shared memory and reads them
 * back on the other thread, with no intermediate buffer on the fast paths.
 *
 * Encoding works in place: `encode` returns the next free byte offset, or
 *  - NO_SPACE when the value did not fit before `end` (the caller wraps, waits or takes the
 *    out-of-band path);
 *  - NEEDS_CLONE when the value holds something the fast paths do not cover, or meets one object
 *    twice (a shared reference or a cycle): the caller re-encodes the whole value with
 *    `encodeCloned`, one structured-clone blob, which keeps that identity;
 *  - NEEDS_POST when the value holds shared memory (a SharedArrayBuffer or a view over one): ring
 *    bytes can only copy it, so the caller sends the value by postMessage, which shares it;
 *  - CANNOT_ENCODE when reading the value threw (a getter, a Proxy trap) or structured clone
 *    refused it: `takeFailure()` says why.
 * What decoding returns matches what postMessage delivers (see docs/core.md, "What crosses
 * threads"): every UTF-16 code unit of a string, bytes in an ArrayBuffer of their own.
 * Offsets are absolute byte offsets into the arena and stay 4-byte aligned.
 */
import { SharedMemoryFound, ringDeserialize, ringSerialize } from './clone';
import * as T from './tags';

declare global {
  interface String {
    /** ES2024 (Node >= 20): false when the string holds a lone surrogate. */
    isWellFormed(): boolean;
  }
}

export const NO_SPACE = -1;
export const NEEDS_CLONE = -2;
export const NEEDS_POST = -3;
export const CANNOT_ENCODE = -4;
/** Deeper plain objects go through structured clone. */
const MAX_DEPTH = 16;
/** Short strings are copied char by char; longer ones go through Buffer's native UTF-8 paths. */
const SHORT_STRING = 24;
/** Objects of one value looked up by a linear scan (most values hold a few); past this, a Set. */
const SEEN_LINEAR = 16;
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

  /** Encodes one whole value (a record's payload) at `off`; see the header for the results. */
  encode(off: number, end: number, value: unknown): number {
    // Primitives hold no objects to track and cannot throw: no try, nothing to forget.
    if (typeof value !== 'object' || value === null) return this.encodeValue(off, end, value, 0);
    try {
      return this.encodeValue(off, end, value, 0);
    } catch (cause) {
      this.failure = cause;
      return CANNOT_ENCODE;
    } finally {
      this.forgetSeen();
    }
  }

  /** Why the last CANNOT_ENCODE happened (the error a getter, trap or structured clone threw). */
  takeFailure(): unknown {
    const failure = this.failure;
    this.failure = null;
    return failure;
  }

  private failure: unknown = null;
  /** Objects met so far in the value being encoded (the first SEEN_LINEAR of them). */
  private readonly seen: (object | null)[] = new Array<object | null>(SEEN_LINEAR).fill(null);
  private seenCount = 0;
  /** All of them once there are more than SEEN_LINEAR. */
  private readonly seenSet = new Set<object>();

  /** False when `obj` was met before in this value: a shared reference or a cycle. */
  private firstVisit(obj: object): boolean {
    const n = this.seenCount;
    const seen = this.seen;
    if (n < SEEN_LINEAR) {
      for (let i = 0; i < n; i++) if (seen[i] === obj) return false;
      seen[n] = obj;
    } else {
      const set = this.seenSet;
      if (n === SEEN_LINEAR) for (let i = 0; i < n; i++) set.add(seen[i]!);
      set.add(obj); // one hash lookup instead of has() + add(): a known object leaves the size as is
      if (set.size === n) return false;
    }
    this.seenCount = n + 1;
    return true;
  }

  /** Drops the references to the caller's objects once a value is encoded (or failed). */
  private forgetSeen(): void {
    const n = this.seenCount;
    if (n === 0) return;
    const seen = this.seen;
    for (let i = 0; i < n && i < SEEN_LINEAR; i++) seen[i] = null;
    // Filled from the 17th visit on, also when that visit found a repeat (seenCount stays 16).
    if (this.seenSet.size > 0) this.seenSet.clear();
    this.seenCount = 0;
  }

  private encodeValue(off: number, end: number, value: unknown, depth: number): number {
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
        return this.encodeString(off, end, value);
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
        // Met before: structured clone keeps the identity (one object twice, or a cycle).
        if (!this.firstVisit(value)) return NEEDS_CLONE;
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

  /**
   * Writes the whole value as one structured-clone blob. NEEDS_POST when it holds shared memory,
   * CANNOT_ENCODE when structured clone refuses it (a function, a symbol) or reading it threw.
   */
  encodeCloned(off: number, end: number, value: unknown): number {
    let bytes: Buffer;
    try {
      bytes = ringSerialize(value);
    } catch (cause) {
      if (cause instanceof SharedMemoryFound) return NEEDS_POST;
      this.failure = cause;
      return CANNOT_ENCODE;
    }
    const at = off + 8;
    if (pad4(at + bytes.length) > end) return NO_SPACE;
    this.i32[off >> 2] = T.TAG_SERIALIZED;
    this.i32[(off >> 2) + 1] = bytes.length;
    this.u8.set(bytes, at);
    return pad4(at + bytes.length);
  }

  /** A string: TAG_STRING (UTF-8), or TAG_STRING16 when it holds a lone surrogate. */
  encodeString(off: number, end: number, s: string): number {
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
        this.i32[off >> 2] = T.TAG_STRING;
        this.i32[(off >> 2) + 1] = n;
        return pad4(at + n);
      }
    }
    // UTF-8 would turn a lone surrogate into U+FFFD; structured clone keeps it. One-byte strings
    // answer at once; two-byte ones are scanned, in native code.
    if (!s.isWellFormed()) return this.encodeUtf16(off, end, s);
    const room = (end - at) & ~3; // keep the padded end inside the limit
    if (room < 0) return NO_SPACE;
    // Up to 3 bytes per UTF-16 unit; only measure exactly when the worst case might not fit.
    if (n * 3 > room && Buffer.byteLength(s, 'utf8') > room) return NO_SPACE;
    const written = this.buf.write(s, at, room, 'utf8');
    this.i32[off >> 2] = T.TAG_STRING;
    this.i32[(off >> 2) + 1] = written;
    return pad4(at + written);
  }

  /** The string's UTF-16 code units as they are, lone surrogates included. */
  private encodeUtf16(off: number, end: number, s: string): number {
    const at = off + 8;
    const bytes = s.length * 2;
    if (pad4(at + bytes) > end) return NO_SPACE;
    this.buf.write(s, at, bytes, 'utf16le');
    this.i32[off >> 2] = T.TAG_STRING16;
    this.i32[(off >> 2) + 1] = bytes;
    return pad4(at + bytes);
  }

  private encodeBytes(off: number, end: number, bytes: Uint8Array): number {
    const at = off + 12;
    // Shared memory: postMessage shares it, as structured clone does; ring bytes would copy it.
    if (bytes.buffer instanceof SharedArrayBuffer) return NEEDS_POST;
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
      p = this.encodeValue(p, end, arr[i], depth + 1);
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
      p = this.encodeString(p, end, key);
      if (p < 0) return p;
      p = this.encodeValue(p, end, obj[key], depth + 1);
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
      case T.TAG_STRING16:
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
        // An ArrayBuffer of its own, as structured clone gives: not a slice of Node's pool, whose
        // other bytes belong to unrelated Buffers.
        // Up to 64 bytes V8 keeps a Uint8Array on its heap (no ArrayBuffer until one is asked for):
        // cheaper than the pool. Larger ones cost an allocation, as with structured clone;
        // allocUnsafeSlow skips the zero fill that new Uint8Array(n) and slice() pay.
        if (!isBuffer && n <= 64) return this.u8.slice(at, at + n);
        const copy = Buffer.allocUnsafeSlow(n);
        copy.set(this.u8.subarray(at, at + n));
        return isBuffer ? copy : new Uint8Array(copy.buffer, 0, n);
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
          const value = this.decode();
          // An own '__proto__' key stays a key: assigning it would set the prototype instead.
          if (key === '__proto__') Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true });
          else obj[key] = value;
        }
        return obj;
      }
      case T.TAG_SERIALIZED: {
        const n = i32[(off >> 2) + 1];
        const at = off + 8;
        this.pos = pad4(at + n);
        // Read in place: the slot is not reused before the consumer moves on, and nothing decoded
        // keeps a view on it (ringDeserialize copies typed arrays out).
        return ringDeserialize(this.u8.subarray(at, at + n));
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
    if (this.i32[off >> 2] === T.TAG_STRING16) return this.buf.toString('utf16le', at, at + n);
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
