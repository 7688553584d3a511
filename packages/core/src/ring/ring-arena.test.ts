/**
 * Stress test of the ring layer as the runtime lays it out: every ring of a 3-driver mesh placed
 * back to back in its arena by planMesh, written through the real RecordWriter with random payload
 * sizes and frequent ABORT records (no payload), read in random bursts, until the rings have
 * wrapped thousands of times. After every burst, every word around the rings is checked: the
 * header of each ring (what its own ends last wrote, and the unused words of its two lines), the
 * control blocks and generation words planMesh puts in front, and a guard line after the arena.
 * A record written past the end of its data region lands in the next ring's HEAD and is caught.
 */
import { Codec } from '../codec/codec';
import { type PlacedRing, planMesh } from '../mesh/plan';
import { CTRL_BYTES, KIND_ABORT, KIND_REQUEST, META_NAMED, RING_HEAD, RING_HEADER_BYTES, RING_TAIL, RING_WANT_SPACE } from './layout';
import { FULL, OVERSIZED, RecordWriter, WROTE } from './record-writer';
import { RingConsumer, RingProducer } from './ring';
import { ReadRecord, readRecords, rng, sameValue } from './ring.test-util';

const GUARD = 0x5a5a5a5a;
const GUARD_BYTES = 128;
const HEADER_WORDS = RING_HEADER_BYTES / 4;
const OWN_WORDS = new Set([RING_HEAD, RING_TAIL, RING_WANT_SPACE]);

interface Sent {
  meta: number;
  id: number;
  name: string | undefined;
  value: unknown;
}

interface Lane {
  place: PlacedRing;
  writer: RecordWriter;
  consumer: RingConsumer;
  i32: Int32Array;
  /** The ring's header as its own producer and consumer last left it. */
  header: Int32Array;
  queue: Sent[];
  waiting: Sent | null;
  nextId: number;
  lastPos: number;
}

function randomRecord(r: () => number, id: number, capacity: number): Sent {
  const k = r();
  // Frequent aborts: records without payload, the ones that can end 8 bytes before the end.
  if (k < 0.35) return { meta: KIND_ABORT, id, name: undefined, value: undefined };
  const named = r() < 0.3;
  const meta = named ? KIND_REQUEST | META_NAMED : KIND_REQUEST;
  const name = named ? 'n'.repeat(Math.floor(r() * 12)) : undefined;
  const v = r();
  // Byte arrays of any size up to a little over the ring: small ones, ones that need a wrap,
  // ones that never fit (OVERSIZED).
  const value = v < 0.45 ? new Uint8Array(Math.floor(r() * (capacity + 32))).fill(id & 255) : v < 0.75 ? id : 's'.repeat(Math.floor(r() * 40));
  return { meta, id, name, value };
}

test('rings back to back in an arena: random sizes and aborts across thousands of wraps write nothing outside their own ring', () => {
  // Three drivers in one TPC: arena 1 holds their control blocks, then nine rings back to back.
  const plan = planMesh([0, 0, 0], { main: 256, peer: 128 });
  const arenas = plan.arenas.map((sab) => new SharedArrayBuffer(sab.byteLength + GUARD_BYTES));
  const views = arenas.map((sab) => new Int32Array(sab));
  const codecs = arenas.map((sab) => new Codec(sab));
  // Everything that is not a ring's data region starts as guard words.
  const isData = views.map((v) => new Uint8Array(v.length));
  const lanes: Lane[] = [];
  for (const row of plan.rings) {
    for (const place of row) {
      if (place === null) continue;
      const at = (place.offset + RING_HEADER_BYTES) >> 2;
      isData[place.arena].fill(1, at, at + place.capacity / 4);
    }
  }
  views.forEach((v, a) => v.forEach((_, w) => (isData[a][w] === 0 ? (v[w] = GUARD) : 0)));
  for (const row of plan.rings) {
    for (const place of row) {
      if (place === null) continue;
      const i32 = views[place.arena];
      const h = place.offset >> 2;
      i32[h + RING_HEAD] = i32[h + RING_TAIL] = i32[h + RING_WANT_SPACE] = 0;
      const producer = new RingProducer(codecs[place.arena], place);
      lanes.push({
        place,
        writer: new RecordWriter(producer),
        consumer: new RingConsumer(new Codec(arenas[place.arena]), place),
        i32,
        header: i32.slice(h, h + HEADER_WORDS),
        queue: [],
        waiting: null,
        nextId: 1,
        lastPos: 0,
      });
    }
  }
  expect(lanes.filter((l) => l.place.arena === 1).length).toBe(9);
  for (const c of plan.ctrl) expect(views[c.arena].subarray(c.offset >> 2, (c.offset + CTRL_BYTES) >> 2).every((w) => w === GUARD)).toBe(true);

  /** Every word outside the data regions: headers as their ends left them, guards elsewhere. */
  const checkAround = (round: number, lastLane: number): void => {
    for (let a = 0; a < views.length; a++) {
      const v = views[a];
      const data = isData[a];
      for (let w = 0; w < v.length; w++) {
        if (data[w] === 0 && v[w] !== GUARD && !isOwnHeaderWord(a, w)) {
          throw new Error(`round ${round}, after ring ${lastLane}: arena ${a} word ${w} changed to ${v[w]}`);
        }
      }
    }
    for (let k = 0; k < lanes.length; k++) {
      const l = lanes[k];
      const h = l.place.offset >> 2;
      for (const w of OWN_WORDS) {
        if (l.i32[h + w] !== l.header[w]) {
          throw new Error(`round ${round}, after ring ${lastLane}: ring ${k}'s header word ${w} is ${l.i32[h + w]}, its ends left ${l.header[w]}`);
        }
      }
    }
  };
  const ownHeaderWords = views.map((v) => new Uint8Array(v.length));
  for (const l of lanes) for (const w of OWN_WORDS) ownHeaderWords[l.place.arena][(l.place.offset >> 2) + w] = 1;
  const isOwnHeaderWord = (a: number, w: number) => ownHeaderWords[a][w] === 1;

  const r = rng(12);
  const got: ReadRecord[] = [];
  let wraps = 0;
  let aborts = 0;
  let oversized = 0;
  let records = 0;
  for (let round = 0; round < 200_000 && wraps < 5000; round++) {
    const k = Math.floor(r() * lanes.length);
    const l = lanes[k];
    const capacity = l.place.capacity;
    if (r() < 0.55) {
      for (let n = 1 + Math.floor(r() * 4); n > 0; n--) {
        if (l.waiting === null) l.waiting = randomRecord(r, l.nextId++, capacity);
        const s: Sent = l.waiting;
        const res = l.writer.write(s.id, s.meta, s.name, s.value);
        if (res === FULL) {
          if (r() < 0.5) l.writer.producer.requestSpace();
          break;
        }
        l.waiting = null;
        if (res === OVERSIZED) {
          oversized++;
          continue;
        }
        expect(res).toBe(WROTE);
        l.queue.push(s);
        if ((s.meta & 15) === KIND_ABORT) aborts++;
        const pos = Atomics.load(l.i32, (l.place.offset >> 2) + RING_TAIL) & (capacity - 1);
        if (pos < l.lastPos) wraps++;
        l.lastPos = pos;
      }
    } else {
      got.length = 0;
      readRecords(l.consumer, got, 1 + Math.floor(r() * 6));
      for (const rec of got) {
        const want = l.queue.shift();
        const ok =
          want !== undefined &&
          rec.meta === want.meta &&
          rec.id === want.id &&
          rec.name === want.name &&
          ((want.meta & 15) === KIND_ABORT || sameValue(rec.value, want.value));
        if (!ok) throw new Error(`round ${round}, ring ${k}: read ${JSON.stringify(rec)}, wrote ${JSON.stringify(want)}`);
        records++;
      }
    }
    // What this ring's own ends wrote in its header is now the expected state.
    const h = l.place.offset >> 2;
    for (const w of OWN_WORDS) l.header[w] = l.i32[h + w];
    checkAround(round, k);
  }
  expect(wraps).toBeGreaterThanOrEqual(5000);
  expect(aborts).toBeGreaterThan(5000);
  expect(oversized).toBeGreaterThan(0);
  expect(records).toBeGreaterThan(20000);
});
