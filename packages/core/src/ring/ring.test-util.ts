/**
 * Test helpers for the ring tests (not shipped code paths): a seeded random source, random
 * payloads and a reader that decodes records the way Inbound.drainFrom (src/mesh/inbound.ts) does.
 */
import { serialize } from 'node:v8';
import { KIND_ABORT, META_NAMED, RECORD_HEADER_BYTES } from './layout';
import type { RingConsumer } from './ring';

/** Deterministic random numbers, so a failure replays. */
export function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A value of one of the codec's kinds; `maxBytes` bounds the byte arrays. */
export function randomValue(r: () => number, i: number, maxBytes: number): unknown {
  const k = r();
  if (k < 0.2) return i;
  if (k < 0.3) return i + 0.5;
  if (k < 0.5) return 'x'.repeat(Math.floor(r() * 40)) + 'é'.repeat(Math.floor(r() * 3)) + i;
  if (k < 0.65) return new Uint8Array(Math.floor(r() * maxBytes)).fill(i & 255);
  if (k < 0.8) return { i, tags: ['a', String(i)], ok: r() < 0.5, nested: { n: null } };
  if (k < 0.9) return [i, 'y', [true, false], undefined];
  return new Map([[i, 'm']]); // structured-clone fallback
}

/** Structured-clone results come from Node's realm, not jest's: compare those serialized. */
export function sameValue(a: unknown, b: unknown): boolean {
  if (b instanceof Map) return serialize(a).equals(serialize(b));
  if (b instanceof Uint8Array) return a instanceof Uint8Array && Buffer.from(a).equals(Buffer.from(b));
  return JSON.stringify(a) === JSON.stringify(b) && typeof a === typeof b;
}

export interface ReadRecord {
  meta: number;
  id: number;
  name: string | undefined;
  value: unknown;
}

/**
 * Reads up to `budget` of the records the consumer can see, then releases them. Returns how many
 * it read (pushed onto `out`).
 */
export function readRecords(c: RingConsumer, out: ReadRecord[], budget = Infinity): number {
  if (!c.poll()) return 0;
  const codec = c.codec;
  let n = 0;
  for (let off = c.next(); off >= 0 && n < budget; off = c.next()) {
    const meta = codec.i32[(off >> 2) + 1];
    const id = codec.i32[(off >> 2) + 2];
    codec.pos = off + RECORD_HEADER_BYTES;
    const name = (meta & META_NAMED) !== 0 ? codec.decodeString() : undefined;
    const value = (meta & 15) === KIND_ABORT ? undefined : codec.decode();
    c.advance(off);
    out.push({ meta, id, name, value });
    n++;
  }
  c.release();
  return n;
}
