/**
 * One thread's way to one peer: the ring it writes (as its only producer), and the backlog of
 * records that did not fit yet, answers first, then requests by priority. Writing a record rings
 * the peer's doorbell; a value that cannot be encoded fails its request (or becomes the error
 * answer) here; a value too large for the ring leaves a placeholder in it (./oob.ts).
 *
 * Thread: the Endpoint's own thread only, the one that owns the RingProducer. Hot path (write):
 * no allocation, no closure; one OutChannel per peer, created once.
 */
import { KIND_ERROR, KIND_RESULT, META_GEN_SHIFT, META_NAMED, META_REPLY_MASK } from '../ring/layout';
import { FULL, OVERSIZED, RecordWriter, UNENCODABLE, WROTE } from '../ring/record-writer';
import type { RingProducer } from '../ring/ring';
import type { Doorbell } from './doorbell';
import type { OutOfBand } from './oob';
import { Queue } from './queue';
import type { EndpointCore, OobRecord, Outgoing, Pending } from './records';

/** write(): the value cannot be encoded; the pending request (if any) was rejected. */
export const NO_RING = -1;

/** flush(): some records were written. */
export const FLUSH_PROGRESS = 1;
/** flush(): the ring filled up before the backlog was empty (space was requested). */
export const FLUSH_FULL = 2;

/** Backlog lanes: answers and aborts, then requests of priority high, normal and low. */
const LANES = 4;

export class OutChannel {
  /** Answers first, then requests by priority. */
  readonly backlog: Queue<Outgoing>[] = [new Queue(), new Queue(), new Queue(), new Queue()];
  backlogSize = 0;
  readonly writer: RecordWriter;
  private lastEncodeError: unknown = null;

  constructor(
    readonly to: number,
    readonly producer: RingProducer,
    /** The peer's doorbell. */
    private readonly bell: Doorbell,
    private readonly oob: OutOfBand,
    private readonly core: EndpointCore,
  ) {
    this.writer = new RecordWriter(producer);
  }

  /**
   * Writes one record into the ring (WROTE, FULL or OVERSIZED) and rings the consumer's bell.
   * NO_RING means the value cannot be encoded at all: the pending request (if any) was rejected
   * and nothing was sent.
   */
  write(id: number, meta: number, name: string | undefined, value: unknown, pending: Pending | null): number {
    const r = this.writer.write(id, meta, name, value);
    if (r === WROTE) {
      this.bell.ring();
      return WROTE;
    }
    if (r !== UNENCODABLE) return r;
    this.lastEncodeError = this.core.hooks.encodeFailed(this.writer.failure);
    this.writer.failure = undefined; // not kept alive
    if (pending !== null) this.core.fail(id, this.lastEncodeError);
    return NO_RING;
  }

  /** Writes a backlog item; an answer (result or error) that cannot be encoded becomes that error. */
  writeItem(item: Outgoing, named: boolean): number {
    const r = this.write(item.id, item.meta, named ? item.name : undefined, item.value, item.pending);
    const kind = item.meta & 15;
    if (r !== NO_RING || (kind !== KIND_RESULT && kind !== KIND_ERROR)) return r;
    item.meta = KIND_ERROR | (item.meta & META_REPLY_MASK);
    item.value = this.core.hooks.encodeError(this.lastEncodeError);
    return this.write(item.id, item.meta, undefined, item.value, null);
  }

  /**
   * Writes a placeholder (see OutOfBand.toPlaceholder) and posts its record (both now, so the
   * record addresses the target's current incarnation, whose generation the placeholder carries
   * too). FULL or WROTE.
   */
  writePlaceholder(item: Outgoing): number {
    const rec = item.oob as OobRecord;
    const r = this.write((rec.sgen << 16) | this.core.genOf(this.to), item.meta, undefined, rec.seq, null);
    if (r === FULL) return r;
    // OVERSIZED: a ring too small for any record (tests make them); the record goes alone.
    this.oob.sent(item, r === WROTE);
    return WROTE;
  }

  /** Queues an item in `lane` (the Endpoint counts queued requests and asks for space). */
  push(lane: number, item: Outgoing): void {
    this.backlog[lane].push(item);
    this.backlogSize++;
  }

  /**
   * Writes what the backlog holds, answers first, then high, normal and low priority, until it is
   * empty or the ring is full. Returns FLUSH_PROGRESS and FLUSH_FULL bits.
   */
  flush(): number {
    let progress = 0;
    for (let lane = 0; lane < LANES && this.backlogSize > 0; lane++) {
      const q = this.backlog[lane];
      for (let item = q.peek(); item !== undefined; item = q.peek()) {
        if (item.pending !== null && item.pending.queued !== item) {
          q.shift(); // aborted or failed while queued (unqueue already counted it)
          this.backlogSize--;
          continue;
        }
        const named = (item.meta & META_NAMED) !== 0;
        if (item.pending !== null) {
          // The target may have been restarted while this waited: address its current incarnation.
          item.pending.gen = this.core.genOf(this.to);
          item.meta = (item.meta & 0xffff) | (item.pending.gen << META_GEN_SHIFT);
        }
        let r = item.oob !== null ? this.writePlaceholder(item) : this.writeItem(item, named);
        if (r === OVERSIZED) {
          this.oob.toPlaceholder(this.to, item);
          r = this.writePlaceholder(item);
        }
        if (r === FULL) {
          this.producer.requestSpace();
          return progress | FLUSH_FULL;
        }
        q.shift();
        this.backlogSize--;
        progress = FLUSH_PROGRESS;
        // Counted out of the queue here unless writing it failed the request (fail() unqueued it).
        if (item.pending !== null && item.pending.queued === item) {
          item.pending.queued = null;
          this.core.queuedRequests--;
        }
      }
    }
    return progress;
  }

  /** Drops everything queued (the peer is gone for good). */
  drop(): void {
    for (const q of this.backlog) q.drain();
    this.backlogSize = 0;
  }
}
