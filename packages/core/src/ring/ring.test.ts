import { serialize } from 'node:v8';
import { Codec, NEEDS_CLONE, NO_SPACE } from '../codec/codec';
import { RECORD_HEADER_BYTES, RING_HEADER_BYTES } from './layout';
import { RingConsumer, RingProducer } from './ring';

/** Deterministic random numbers, so a failure replays. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomValue(r: () => number, i: number): unknown {
  const k = r();
  if (k < 0.2) return i;
  if (k < 0.3) return i + 0.5;
  if (k < 0.5) return 'x'.repeat(Math.floor(r() * 40)) + 'é'.repeat(Math.floor(r() * 3)) + i;
  if (k < 0.65) return new Uint8Array(Math.floor(r() * 50)).fill(i & 255);
  if (k < 0.8) return { i, tags: ['a', String(i)], ok: r() < 0.5, nested: { n: null } };
  if (k < 0.9) return [i, 'y', [true, false], undefined];
  return new Map([[i, 'm']]); // structured-clone fallback
}

/** Structured-clone results come from Node's realm, not jest's: compare those serialized. */
function same(a: unknown, b: unknown): void {
  if (b instanceof Map) expect(serialize(a).equals(serialize(b))).toBe(true);
  else expect(a).toEqual(b);
}

/**
 * Writes one record (payload = value) the way the Endpoint does: true when written, false when
 * the ring is full, 'oversized' when the record could never fit (the Endpoint posts those).
 */
function write(p: RingProducer, value: unknown): boolean | 'oversized' {
  let start = p.begin();
  let refreshed = false;
  for (;;) {
    if (start < 0) {
      if (refreshed || !p.refresh()) return false;
      refreshed = true;
      start = p.begin();
      continue;
    }
    let off = p.codec.encode(start + RECORD_HEADER_BYTES, p.limit, value);
    if (off === NEEDS_CLONE) off = p.codec.encodeCloned(start + RECORD_HEADER_BYTES, p.limit, value);
    if (off >= 0) {
      p.commit(off);
      return true;
    }
    expect(off).toBe(NO_SPACE);
    if (p.isOversized()) return 'oversized';
    start = p.wrap();
  }
}

describe.each([256, 512, 1024, 4096])('SPSC ring of %i bytes', (capacity) => {
  test('random interleavings of writes and reads keep every record, in order', () => {
    const sab = new SharedArrayBuffer(RING_HEADER_BYTES + capacity + 64);
    const place = { offset: 0, capacity };
    const producer = new RingProducer(new Codec(sab), place);
    const consumer = new RingConsumer(new Codec(sab), place);
    const r = rng(capacity);
    const sent: unknown[] = [];
    let received = 0;
    let waiting: unknown = undefined;
    let hasWaiting = false;
    for (let step = 0; step < 20000; step++) {
      if (r() < 0.55) {
        if (!hasWaiting) {
          waiting = randomValue(r, sent.length);
          hasWaiting = true;
        }
        const wrote = write(producer, waiting);
        if (wrote === true) sent.push(waiting);
        if (wrote !== false) hasWaiting = false;
      } else if (consumer.poll()) {
        // Read a random number of the records that are there, then release.
        let budget = 1 + Math.floor(r() * 5);
        for (let off = consumer.next(); off >= 0 && budget-- > 0; off = consumer.next()) {
          consumer.codec.pos = off + RECORD_HEADER_BYTES;
          same(consumer.codec.decode(), sent[received]);
          consumer.advance(off);
          received++;
        }
        consumer.release();
      }
    }
    while (consumer.poll()) {
      for (let off = consumer.next(); off >= 0; off = consumer.next()) {
        consumer.codec.pos = off + RECORD_HEADER_BYTES;
        same(consumer.codec.decode(), sent[received]);
        consumer.advance(off);
        received++;
      }
      consumer.release();
    }
    expect(received).toBe(sent.length);
    expect(sent.length).toBeGreaterThan(1000);
  });

  test('a full ring asks for space and the consumer answers once', () => {
    const sab = new SharedArrayBuffer(RING_HEADER_BYTES + capacity);
    const place = { offset: 0, capacity };
    const producer = new RingProducer(new Codec(sab), place);
    const consumer = new RingConsumer(new Codec(sab), place);
    let n = 0;
    while (write(producer, n) === true) n++;
    expect(n).toBe(Math.floor(capacity / 24)); // 16-byte header + 8-byte int, 8-aligned
    producer.requestSpace();
    expect(consumer.poll()).toBe(true);
    consumer.advance(consumer.next());
    expect(consumer.release()).toBe(true); // the producer asked: ring its doorbell
    expect(consumer.release()).toBe(false); // once
    expect(write(producer, 1)).toBe(true); // the freed record's space is usable again
  });
});
