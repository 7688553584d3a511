/**
 * Writes one record (header and payload, framing in ./layout.ts) into a ring: the only code that
 * writes records, used by the Endpoint for every request, answer, abort and placeholder, and by
 * the ring tests as it is.
 *
 * Thread: the thread that owns the RingProducer (one writer per ring). Hot path: no allocation,
 * no closure; one RecordWriter per ring, created once.
 */
import { CANNOT_ENCODE, NEEDS_CLONE, NEEDS_POST, NO_SPACE } from '../codec/codec';
import { KIND_ABORT, RECORD_HEADER_BYTES } from './layout';
import type { RingProducer } from './ring';

/** The record is published. */
export const WROTE = 0;
/** No room now: try again once the consumer has freed space. */
export const FULL = 1;
/**
 * The record would never fit this ring, or holds shared memory (only postMessage shares it, as
 * structured clone does): send it another way (postMessage).
 */
export const OVERSIZED = 2;
/** The value cannot be encoded at all (reading it threw, or structured clone refused it): `failure` holds why. */
export const UNENCODABLE = 3;

export class RecordWriter {
  /** What reading or cloning the value threw, after write() returned UNENCODABLE. */
  failure: unknown = undefined;

  constructor(readonly producer: RingProducer) {}

  /**
   * Writes a record: header (length, meta, id) and, unless `meta` is an ABORT (which has none),
   * the optional task name followed by the encoded value. Returns WROTE, FULL, OVERSIZED or
   * UNENCODABLE. Nothing is visible to the consumer unless it returns WROTE.
   */
  write(id: number, meta: number, name: string | undefined, value: unknown): number {
    const p = this.producer;
    const codec = p.codec;
    let start = p.begin();
    let refreshed = false;
    for (;;) {
      if (start < 0) {
        // Full by the cached HEAD: the consumer may have freed space since; look once.
        if (refreshed || !p.refresh()) return FULL;
        refreshed = true;
        start = p.begin();
        continue;
      }
      const limit = p.limit;
      let off = start + RECORD_HEADER_BYTES;
      if (name !== undefined) off = codec.encodeString(off, limit, name);
      if (off >= 0 && (meta & 15) !== KIND_ABORT) {
        const valueAt = off;
        off = codec.encode(valueAt, limit, value);
        if (off === NEEDS_CLONE) off = codec.encodeCloned(valueAt, limit, value);
        if (off === NEEDS_POST) return OVERSIZED;
        if (off === CANNOT_ENCODE) {
          this.failure = codec.takeFailure();
          return UNENCODABLE;
        }
      }
      // The whole record, header words included, must end by `limit`: a record without payload
      // (ABORT) passes through no codec check, and the bytes past `limit` belong to the consumer
      // or, past the data region, to the next ring in the arena.
      if (off > limit) off = NO_SPACE;
      if (off >= 0) {
        const i32 = codec.i32;
        i32[(start >> 2) + 1] = meta;
        i32[(start >> 2) + 2] = id;
        p.commit(off);
        return WROTE;
      }
      if (off !== NO_SPACE) return FULL;
      if (p.isOversized()) return OVERSIZED;
      start = p.wrap();
    }
  }
}
