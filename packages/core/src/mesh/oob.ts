/**
 * Out-of-band records of one Endpoint: values too large for a ring, or with a transfer list, take
 * postMessage instead, and a small placeholder takes their place in the ring so that records sent
 * after them cannot overtake them (see OobRecord in ./records.ts).
 *
 * Sender side: toPlaceholder() turns an Outgoing into a placeholder and its record; once the
 * OutChannel has written the placeholder, sent() posts the record. Receiver side: arrive() keeps a
 * record that came by postMessage until the ring reader reaches its placeholder (take()); a ring
 * whose placeholder is read before its record arrived stops there (`blocked`) until arrive().
 *
 * Thread: the Endpoint's own thread only (no shared memory here).
 */
import type { Codec } from '../codec/codec';
import { KIND_ABORT, KIND_ERROR, KIND_REQUEST, META_NAMED, META_OOB, META_REPLY_MASK } from '../ring/layout';
import type { EndpointCore, OobRecord, Outgoing } from './records';

/** Map key of an out-of-band record from one sender. */
const oobKey = (sgen: number, seq: number) => sgen * 0x100000000 + seq;

export class OutOfBand {
  /** Per target: the seq of the last placeholder sent to it. */
  private readonly seq: number[] = [];
  /** Out-of-band records that arrived before their placeholder was read, per sender. */
  private readonly arrived: Map<number, OobRecord>[] = [];
  /** blocked[from] = 1: that ring stopped at a placeholder whose record has not arrived. */
  readonly blocked: Uint8Array;

  constructor(
    threads: number,
    private readonly core: EndpointCore,
  ) {
    this.blocked = new Uint8Array(threads);
    for (let t = 0; t < threads; t++) this.arrived.push(new Map());
  }

  // ---------------------------------------------------------------- sending

  /** Turns a queued or new item for `to` into a placeholder for an out-of-band record. */
  toPlaceholder(to: number, item: Outgoing): void {
    const core = this.core;
    const seq = (this.seq[to] = (this.seq[to] ?? 0) + 1);
    item.oob = { t: 'rec', from: core.self, to, id: item.id, meta: item.meta, name: item.name, value: item.value, seq, sgen: core.gen };
    item.oobTransfer = item.transfer;
    item.transfer = undefined;
    item.value = undefined;
    item.name = '';
    item.meta = (item.meta & ~META_NAMED) | META_OOB;
  }

  /**
   * The placeholder of `item` was written into the ring (`inRing`), or will never fit it: posts
   * its record now (after the write, so the record addresses the target's current incarnation,
   * whose generation the placeholder carries too).
   */
  sent(item: Outgoing, inRing: boolean): void {
    const rec = item.oob as OobRecord;
    // Not in the ring: everything to that thread takes postMessage, which keeps its own order:
    // no placeholder (seq 0).
    if (!inRing) rec.seq = 0;
    // The request's generation bits may have been renewed while it waited (OutChannel.flush).
    rec.meta = (item.meta & ~META_OOB) | (rec.meta & META_NAMED);
    this.post(rec, item);
  }

  /**
   * Posts an out-of-band record. When postMessage cannot read its value (a getter or a Proxy trap
   * throws, or structured clone refuses it) only that request or answer fails; a record is still
   * posted, since its placeholder may be waiting for it: the abort of a request the peer never
   * saw (which it ignores), or the error in place of an answer.
   */
  private post(rec: OobRecord, item: Outgoing): void {
    const hooks = this.core.hooks;
    try {
      return hooks.postOob(rec, item.oobTransfer);
    } catch (cause) {
      const error = hooks.encodeFailed(cause);
      if ((rec.meta & 15) === KIND_REQUEST) {
        if (item.pending !== null) this.core.fail(rec.id, error);
        rec.meta = KIND_ABORT;
        rec.value = undefined;
      } else {
        rec.meta = KIND_ERROR | (rec.meta & META_REPLY_MASK);
        rec.value = hooks.encodeError(error);
      }
      rec.name = '';
      hooks.postOob(rec, undefined);
    }
  }

  // ---------------------------------------------------------------- receiving

  /**
   * Keeps a record (seq > 0) that came by postMessage until its placeholder is read. True if its
   * sender's ring was stopped at a placeholder: the caller reads on from there.
   */
  arrive(rec: OobRecord): boolean {
    this.arrived[rec.from].set(oobKey(rec.sgen, rec.seq), rec);
    if (this.blocked[rec.from] === 1) {
      this.blocked[rec.from] = 0;
      return true;
    }
    return false;
  }

  /**
   * A placeholder read from `from`'s ring (`gens` its id word; `codec` positioned at its value):
   * its record if it arrived (null: stop here), or undefined (skip it).
   */
  take(from: number, gens: number, codec: Codec): OobRecord | null | undefined {
    const seq = codec.decode() as number;
    // Written for an earlier incarnation of this thread: its record went there.
    if ((gens & 0xffff) !== this.core.gen) return undefined;
    const key = oobKey(gens >>> 16, seq);
    const rec = this.arrived[from].get(key);
    if (rec === undefined) return null;
    this.arrived[from].delete(key);
    return rec;
  }
}
