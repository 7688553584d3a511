/**
 * The rings one thread reads, one per peer that may write to it: records are decoded in the order
 * they were written and handed to the Endpoint's receive(). A placeholder (./oob.ts) is replaced
 * by its out-of-band record; if that has not arrived yet the ring stops there until it does, so
 * nothing sent later overtakes it.
 *
 * Thread: the Endpoint's own thread only, the one that owns the RingConsumers. Hot path
 * (drainFrom): no allocation, no closure.
 */
import type { Codec } from '../codec/codec';
import { KIND_ABORT, META_NAMED, META_OOB, RECORD_HEADER_BYTES } from '../ring/layout';
import type { RingConsumer } from '../ring/ring';
import type { Doorbell } from './doorbell';
import type { OutOfBand } from './oob';
import type { EndpointCore, OobRecord } from './records';

export class Inbound {
  /** oob.blocked: 1 where a ring stopped at a placeholder whose record has not arrived. */
  private readonly blocked: Uint8Array;

  constructor(
    /** rings[from]: the ring `from` writes to this thread, or null. */
    private readonly rings: (RingConsumer | null)[],
    /** Every thread's doorbell: a producer waiting for space is rung when space frees. */
    private readonly bells: Doorbell[],
    private readonly oob: OutOfBand,
    private readonly core: EndpointCore,
  ) {
    this.blocked = oob.blocked;
  }

  private receiveRecord(rec: OobRecord): void {
    this.core.receive(rec.from, rec.id, rec.meta, (rec.meta & META_NAMED) !== 0 ? rec.name : undefined, rec.value);
  }

  /** Handles a record that came by postMessage. */
  receiveOob(rec: OobRecord): void {
    if (rec.seq === 0) return this.receiveRecord(rec);
    // Its placeholder may be what stopped that ring: read on from there.
    if (this.oob.arrive(rec)) this.drainFrom(rec.from);
  }

  /** Reads every record waiting from one peer. */
  drainFrom(from: number): number {
    const c = this.rings[from];
    if (c === null || !c.poll()) return 0;
    const codec: Codec = c.codec;
    const i32 = codec.i32;
    let count = 0;
    for (let off = c.next(); off >= 0; off = c.next()) {
      const meta = i32[(off >> 2) + 1];
      const id = i32[(off >> 2) + 2];
      codec.pos = off + RECORD_HEADER_BYTES;
      if ((meta & META_OOB) !== 0) {
        const rec = this.oob.take(from, id, codec);
        if (rec === null) {
          this.blocked[from] = 1; // receiveOob reads on
          break;
        }
        c.advance(off);
        if (rec !== undefined) this.receiveRecord(rec);
        count++;
        continue;
      }
      const name = (meta & META_NAMED) !== 0 ? codec.decodeString() : undefined;
      const value = (meta & 15) === KIND_ABORT ? undefined : codec.decode();
      c.advance(off);
      this.core.receive(from, id, meta, name, value);
      count++;
      // Hand space back now and then so a producer of a long batch need not stall.
      if ((count & 255) === 0 && c.release()) this.bells[from].ring();
    }
    if (c.release()) this.bells[from].ring();
    return count;
  }

  drainAll(): number {
    let n = 0;
    for (let t = 0; t < this.rings.length; t++) if (this.rings[t] !== null) n += this.drainFrom(t);
    return n;
  }

  /** Whether a ring has a record to read now (the spin loop and the last look before parking). */
  any(): boolean {
    for (let t = 0; t < this.rings.length; t++) {
      const c = this.rings[t];
      // A blocked ring has records, but none to read until receiveOob: not work to spin on.
      if (c !== null && this.blocked[t] === 0 && c.poll()) return true;
    }
    return false;
  }

  /**
   * `from` crashed: reads what it managed to publish, skipping placeholders whose records may have
   * died with it (what they answered is rejected by the caller with the rest).
   */
  drainDead(from: number): void {
    this.drainFrom(from); // answers it managed to publish still count
    const c = this.rings[from];
    while (c !== null && this.blocked[from] === 1) {
      const off = c.next();
      if (off < 0) break;
      c.advance(off);
      this.blocked[from] = 0;
      if (c.release()) this.bells[from].ring();
      this.drainFrom(from);
    }
  }
}
