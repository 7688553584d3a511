/**
 * Single-producer single-consumer record ring over shared memory (layout in ./layout.ts).
 *
 * RingProducer: may only be used from the one thread that writes this ring.
 * RingConsumer: may only be used from the one thread that reads it.
 *
 * Protocol: the producer writes a whole record (payload first, its length word last is not needed
 * because nothing is visible before TAIL moves), then publishes it with one Atomics.store of TAIL.
 * The consumer reads TAIL with Atomics.load, reads records up to it, then publishes HEAD, which
 * hands the bytes back. Each side caches the other's index and rereads it only when it must.
 */
import { Codec } from '../codec/codec';
import {
  RECORD_ALIGN,
  RECORD_HEADER_BYTES,
  RECORD_WRAP,
  RING_HEAD,
  RING_HEADER_BYTES,
  RING_TAIL,
  RING_WANT_SPACE,
} from './layout';

export interface RingPlace {
  /** Byte offset of the ring header inside its arena. */
  offset: number;
  /** Data bytes; a power of two. */
  capacity: number;
}

export function align8(n: number): number {
  return (n + RECORD_ALIGN - 1) & ~(RECORD_ALIGN - 1);
}

/** What both ends know about a ring: where its indices and data are. */
abstract class RingEnd {
  readonly codec: Codec;
  protected readonly i32: Int32Array;
  protected readonly headIdx: number;
  protected readonly tailIdx: number;
  protected readonly wantIdx: number;
  /** Absolute byte offset of the data region. */
  readonly base: number;
  readonly capacity: number;
  protected readonly mask: number;

  constructor(codec: Codec, place: RingPlace) {
    this.codec = codec;
    this.i32 = codec.i32;
    this.headIdx = (place.offset >> 2) + RING_HEAD;
    this.tailIdx = (place.offset >> 2) + RING_TAIL;
    this.wantIdx = (place.offset >> 2) + RING_WANT_SPACE;
    this.base = place.offset + RING_HEADER_BYTES;
    this.capacity = place.capacity;
    this.mask = place.capacity - 1;
  }
}

export class RingProducer extends RingEnd {
  private tail: number;
  private cachedHead: number;
  // The record being written: where it starts and the bytes skipped by a wrap marker.
  private recordStart = 0;
  private skipped = 0;
  /** The exclusive end the payload writer must respect. */
  limit = 0;

  constructor(codec: Codec, place: RingPlace) {
    super(codec, place);
    // A restarted thread continues where its predecessor published; unpublished bytes are garbage.
    // Atomics.load: the previous producer was another thread.
    this.tail = Atomics.load(this.i32, this.tailIdx);
    this.cachedHead = Atomics.load(this.i32, this.headIdx);
  }

  /** Rereads HEAD; true if the consumer freed space since the last read. */
  refresh(): boolean {
    const before = this.cachedHead;
    // Atomics.load: HEAD is written by the consumer thread.
    this.cachedHead = Atomics.load(this.i32, this.headIdx);
    return this.cachedHead !== before;
  }

  /** Bytes the consumer has not read yet (from this thread's view). */
  used(): number {
    // Atomics.load: HEAD is written by the consumer thread.
    this.cachedHead = Atomics.load(this.i32, this.headIdx);
    return (this.tail - this.cachedHead) >>> 0;
  }

  /**
   * Starts a record in the contiguous free space at the tail. Returns its absolute offset, or -1
   * when the ring has no room for a record header; `limit` is where the writer must stop, and it
   * is always at least RECORD_HEADER_BYTES past the returned offset.
   */
  begin(): number {
    this.skipped = 0;
    let free = this.capacity - ((this.tail - this.cachedHead) >>> 0);
    if (free < this.capacity / 2) {
      // Atomics.load: refresh HEAD only when the cached value says the ring is getting full.
      this.cachedHead = Atomics.load(this.i32, this.headIdx);
      free = this.capacity - ((this.tail - this.cachedHead) >>> 0);
    }
    const pos = this.tail & this.mask;
    const toEnd = this.capacity - pos;
    // Records are 8-byte multiples, so the tail can stop 8 bytes before the end: too little for a
    // header, and a record started there would spill into what follows the data region (the next
    // ring's HEAD in the arena). Skip to the front at once.
    if (toEnd < RECORD_HEADER_BYTES) return this.wrap();
    this.recordStart = this.base + pos;
    this.limit = this.recordStart + (free < toEnd ? free : toEnd);
    return this.limit - this.recordStart >= RECORD_HEADER_BYTES ? this.recordStart : -1;
  }

  /**
   * The record did not fit before the end of the data region: marks the rest as skipped and
   * restarts at offset 0. Returns the new start, or -1 if the free space at the front is too small
   * for a record header (or the record already starts there).
   */
  wrap(): number {
    const pos = this.tail & this.mask;
    const toEnd = this.capacity - pos;
    const free = this.capacity - ((this.tail - this.cachedHead) >>> 0);
    // free - toEnd: the free bytes at the front once the end is skipped (negative when the space
    // up to the end is not all free, and then there is nothing to wrap to).
    if (this.skipped !== 0 || pos === 0 || free - toEnd < RECORD_HEADER_BYTES) return -1;
    this.i32[(this.base + pos) >> 2] = RECORD_WRAP;
    this.skipped = toEnd;
    this.recordStart = this.base;
    this.limit = this.base + (free - toEnd);
    return this.base;
  }

  /** True when a payload that failed with this much space would never fit: use the slow path. */
  isOversized(): boolean {
    return this.limit - this.recordStart >= this.capacity / 2 || this.capacity / 2 < 64;
  }

  /** Publishes the record that ends at `end` (exclusive). */
  commit(end: number): void {
    const len = align8(end - this.recordStart);
    this.i32[this.recordStart >> 2] = len;
    this.tail = (this.tail + this.skipped + len) | 0;
    // Atomics.store: publishes the record (and any wrap marker); the consumer's Atomics.load of
    // TAIL then sees every byte written above (sequentially consistent ordering).
    Atomics.store(this.i32, this.tailIdx, this.tail);
  }

  /** Asks the consumer to ring this producer's doorbell once it frees space. */
  requestSpace(): void {
    // Atomics.store: read by the consumer thread after it publishes HEAD.
    Atomics.store(this.i32, this.wantIdx, 1);
  }
}

export class RingConsumer extends RingEnd {
  private head: number;
  private tail: number;

  constructor(codec: Codec, place: RingPlace) {
    super(codec, place);
    // Atomics.load: a restarted consumer resumes after what its predecessor released.
    this.head = Atomics.load(this.i32, this.headIdx);
    this.tail = this.head;
  }

  /** True when records are waiting. */
  poll(): boolean {
    // Atomics.load: TAIL is published by the producer thread after it wrote the records.
    this.tail = Atomics.load(this.i32, this.tailIdx);
    return this.tail !== this.head;
  }

  /**
   * Absolute offset of the next record, or -1 when none is left of what poll() saw.
   * Call `advance()` once the record has been fully read.
   */
  next(): number {
    if (this.head === this.tail) return -1;
    let pos = this.head & this.mask;
    if (this.i32[(this.base + pos) >> 2] === RECORD_WRAP) {
      this.head = (this.head + this.capacity - pos) | 0;
      if (this.head === this.tail) return -1;
      pos = 0;
    }
    return this.base + pos;
  }

  advance(recordOffset: number): void {
    this.head = (this.head + this.i32[recordOffset >> 2]) | 0;
  }

  /** Hands the bytes read so far back to the producer; true if the producer asked to be woken. */
  release(): boolean {
    // Atomics.store: the producer's Atomics.load of HEAD must not see it before the reads above.
    Atomics.store(this.i32, this.headIdx, this.head);
    // Atomics.load/exchange: the producer set WANT_SPACE when it found the ring full; clearing it
    // with exchange means exactly one release answers each request.
    return Atomics.load(this.i32, this.wantIdx) === 1 && Atomics.exchange(this.i32, this.wantIdx, 0) === 1;
  }
}
