import { Codec } from '../codec/codec';
import { KIND_ABORT, KIND_REQUEST, META_NAMED, RECORD_HEADER_BYTES, RING_HEADER_BYTES, RING_TAIL } from './layout';
import { FULL, OVERSIZED, RecordWriter, UNENCODABLE, WROTE } from './record-writer';
import { RingConsumer, RingProducer } from './ring';
import { ReadRecord, randomValue, readRecords, rng, sameValue } from './ring.test-util';

/** Bytes after the data region, filled with GUARD: nothing may write there. */
const GUARD_BYTES = 128;
const GUARD = 0x5a5a5a5a;

/** One ring at offset 0 of its own arena, followed by guard words. */
function ringOf(capacity: number) {
  const sab = new SharedArrayBuffer(RING_HEADER_BYTES + capacity + GUARD_BYTES);
  const place = { offset: 0, capacity };
  const i32 = new Int32Array(sab);
  const guardAt = (RING_HEADER_BYTES + capacity) >> 2;
  i32.fill(GUARD, guardAt);
  const guardsIntact = () => i32.subarray(guardAt).every((w) => w === GUARD);
  const producer = new RingProducer(new Codec(sab), place);
  return { writer: new RecordWriter(producer), producer, consumer: new RingConsumer(new Codec(sab), place), guardsIntact };
}

interface Sent {
  meta: number;
  id: number;
  name: string | undefined;
  value: unknown;
}

/** Throws (cheaper than an expect per record) when a record read differs from the one written. */
function expectSame(got: ReadRecord, want: Sent): void {
  const ok =
    got.meta === want.meta &&
    got.id === want.id &&
    got.name === want.name &&
    ((want.meta & 15) === KIND_ABORT || sameValue(got.value, want.value));
  if (!ok) throw new Error(`record ${want.id}: got ${JSON.stringify(got)}, wrote ${JSON.stringify(want)}`);
}

describe.each([256, 512, 1024, 4096])('RecordWriter on a ring of %i bytes', (capacity) => {
  test('random interleavings of writes (named, plain, abort) and reads keep every record, in order', () => {
    const { writer, consumer, guardsIntact } = ringOf(capacity);
    const r = rng(capacity);
    const sent: Sent[] = [];
    const got: ReadRecord[] = [];
    let waiting: Sent | null = null;
    let oversized = 0;
    for (let step = 0; step < 20000; step++) {
      if (r() < 0.55) {
        if (waiting === null) {
          const id = sent.length + 1;
          const k = r();
          if (k < 0.2) waiting = { meta: KIND_ABORT, id, name: undefined, value: undefined };
          else if (k < 0.4) waiting = { meta: KIND_REQUEST | META_NAMED, id, name: `task${id % 7}`, value: randomValue(r, id, 50) };
          else waiting = { meta: KIND_REQUEST, id, name: undefined, value: randomValue(r, id, 50) };
        }
        const w: Sent = waiting;
        const res = writer.write(w.id, w.meta, w.name, w.value);
        if (res === WROTE) sent.push(w);
        if (res === OVERSIZED) oversized++;
        if (res !== FULL) waiting = null;
      } else {
        readRecords(consumer, got, 1 + Math.floor(r() * 5));
      }
      if (!guardsIntact()) throw new Error(`step ${step}: a guard word after the ring changed`);
    }
    while (readRecords(consumer, got) > 0);
    expect(got.length).toBe(sent.length);
    for (let i = 0; i < sent.length; i++) expectSame(got[i], sent[i]);
    expect(sent.length).toBeGreaterThan(1000);
    if (capacity >= 1024) expect(oversized).toBe(0);
  });

  test('a full ring asks for space and the consumer answers once', () => {
    const { writer, producer, consumer } = ringOf(capacity);
    let n = 0;
    while (writer.write(n + 1, KIND_REQUEST, undefined, n) === WROTE) n++;
    expect(n).toBe(Math.floor(capacity / 24)); // 16-byte header + 8-byte int, 8-aligned
    producer.requestSpace();
    expect(consumer.poll()).toBe(true);
    consumer.advance(consumer.next());
    expect(consumer.release()).toBe(true); // the producer asked: ring its doorbell
    expect(consumer.release()).toBe(false); // once
    expect(writer.write(1, KIND_REQUEST, undefined, 1)).toBe(WROTE); // the freed record's space is usable again
  });
});

describe('RecordWriter at the end of the data region', () => {
  // Records are multiples of 8 bytes, so the tail can stop 8 bytes before the end: room for part
  // of a header only. 5 int records (24 bytes) and 8 aborts (16 bytes) take 248 of 256.
  function tailAt248() {
    const ring = ringOf(256);
    let id = 1;
    for (let i = 0; i < 5; i++) expect(ring.writer.write(id++, KIND_REQUEST, undefined, i)).toBe(WROTE);
    for (let i = 0; i < 8; i++) expect(ring.writer.write(id++, KIND_ABORT, undefined, undefined)).toBe(WROTE);
    const drained: ReadRecord[] = [];
    readRecords(ring.consumer, drained);
    expect(drained.length).toBe(13);
    return ring;
  }

  test.each([
    ['an abort (no payload)', KIND_ABORT, undefined, undefined],
    ['a request', KIND_REQUEST, undefined, 7],
    ['a named request', KIND_REQUEST | META_NAMED, 'resize', 7],
  ])('%s with 8 bytes left before the end starts at the front, and nothing is written past the ring', (_, meta, name, value) => {
    const { writer, consumer, guardsIntact } = tailAt248();
    expect(writer.write(0x1234567, meta, name, value)).toBe(WROTE);
    expect(guardsIntact()).toBe(true);
    const got: ReadRecord[] = [];
    readRecords(consumer, got);
    expect(got.length).toBe(1);
    expectSame(got[0], { meta, id: 0x1234567, name, value });
    // The record went to the front: the next ones follow it there.
    expect(writer.write(9, KIND_ABORT, undefined, undefined)).toBe(WROTE);
    readRecords(consumer, got);
    expect(got[1].id).toBe(9);
    expect(guardsIntact()).toBe(true);
  });
});

// Offset 8 cannot be reached: every record is at least 16 bytes and none ends past the end.
test.each(Array.from({ length: 256 / 8 }, (_, i) => i * 8).filter((pos) => pos !== 8))(
  'RingProducer.begin() at tail offset %i of 256 leaves room for a record header before its limit',
  (pos) => {
    const { writer, producer, consumer } = ringOf(256);
    // Move the tail to `pos` with aborts (16 bytes) and one int request (24) where pos needs 8 more.
    let id = 1;
    if (pos % 16 === 8) expect(writer.write(id++, KIND_REQUEST, undefined, 1)).toBe(WROTE);
    while (producer.used() < pos) expect(writer.write(id++, KIND_ABORT, undefined, undefined)).toBe(WROTE);
    readRecords(consumer, []);
    expect(producer.used()).toBe(0);
    expect(producer.codec.i32[RING_TAIL] & 255).toBe(pos);
    const start = producer.begin();
    expect(start).toBeGreaterThanOrEqual(RING_HEADER_BYTES);
    expect(producer.limit - start).toBeGreaterThanOrEqual(RECORD_HEADER_BYTES);
    expect(producer.limit).toBeLessThanOrEqual(RING_HEADER_BYTES + 256);
  },
);

describe('RecordWriter results other than WROTE publish nothing', () => {
  test('a value larger than the ring is OVERSIZED', () => {
    const { writer, consumer } = ringOf(256);
    expect(writer.write(1, KIND_REQUEST, undefined, new Uint8Array(300))).toBe(OVERSIZED);
    expect(consumer.poll()).toBe(false);
  });

  test('a value structured clone refuses is UNENCODABLE, with the reason', () => {
    const { writer, consumer } = ringOf(256);
    expect(writer.write(1, KIND_REQUEST, undefined, () => 1)).toBe(UNENCODABLE);
    expect(String(writer.failure)).toMatch(/could not be cloned/);
    expect(consumer.poll()).toBe(false);
    expect(writer.write(2, KIND_REQUEST, undefined, 2)).toBe(WROTE);
  });
});
