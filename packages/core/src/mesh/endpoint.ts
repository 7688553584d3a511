/**
 * One thread's end of the mesh: the rings it writes (one per peer), the rings it reads, the tasks
 * it is waiting for, and the pump that moves records. The main thread and every driver own exactly
 * one Endpoint; nothing here may be shared between threads except through the arenas.
 *
 * Wake-ups: a thread about to park sets STATE = PARKED in its control block, checks its inbound
 * rings once more and then waits (Atomics.waitAsync, so its event loop keeps running timers and
 * I/O) on BELL. A producer that published a record rings the bell only when it sees PARKED, and
 * only one producer wins the PARKED -> AWAKE exchange, so a busy consumer costs no syscalls.
 */
import { performance } from 'node:perf_hooks'; // a module binding: the global is a lazy getter
import { Codec } from '../codec/codec';
import {
  CTRL_BELL,
  CTRL_STATE,
  KIND_ABORT,
  KIND_ERROR,
  KIND_REQUEST,
  KIND_RESULT,
  META_GEN_SHIFT,
  META_NAMED,
  META_OOB,
  META_PRIORITY_SHIFT,
  META_REPLY_MASK,
  META_REPLY_SHIFT,
  RECORD_HEADER_BYTES,
  STATE_AWAKE,
  STATE_PARKED,
} from '../ring/layout';
import { FULL, OVERSIZED, RecordWriter, UNENCODABLE, WROTE } from '../ring/record-writer';
import { RingConsumer, RingProducer } from '../ring/ring';
import type { MeshPlan } from './plan';
import { Queue } from './queue';

export const PRIORITY_HIGH = 0;
export const PRIORITY_NORMAL = 1;
export const PRIORITY_LOW = 2;

/** A record that could not be written yet (ring full) or must travel out of band. */
export class Outgoing {
  constructor(
    public id: number,
    public meta: number,
    public name: string,
    public value: unknown,
    public transfer: readonly unknown[] | undefined,
    public pending: Pending | null,
  ) {}
  /** Set once this item became a placeholder: the record posted when the placeholder is written. */
  oob: OobRecord | null = null;
  oobTransfer: readonly unknown[] | undefined = undefined;
}

/** A request this thread sent and is waiting for. */
export class Pending {
  resolve!: (value: unknown) => void;
  reject!: (error: unknown) => void;
  /** Set while the request still sits in a backlog (not written); cleared once written. */
  queued: Outgoing | null = null;
  onAbort: (() => void) | null = null;
  constructor(
    readonly id: number,
    readonly to: number,
    public gen: number,
  ) {}
}

/**
 * Out-of-band record: oversized payloads and transferList take postMessage instead of a ring. A
 * placeholder in the ring holds its place, so that records sent after it cannot overtake it: the
 * receiver stops reading that ring until the record has arrived. The placeholder is as small as a
 * record gets, so it fits the smallest ring: its value is `seq`, its id word sgen << 16 | rgen
 * (the sender's generation, and the receiver's as the sender saw it).
 */
export interface OobRecord {
  t: 'rec';
  from: number;
  to: number;
  id: number;
  meta: number;
  name: string;
  value: unknown;
  /** Per sender incarnation (sgen) and target; 0: no placeholder, handle it when it arrives. */
  seq: number;
  sgen: number;
}

/** Map key of an out-of-band record from one sender. */
const oobKey = (sgen: number, seq: number) => sgen * 0x100000000 + seq;

export interface EndpointHooks {
  /**
   * A request arrived (drivers only). `replyTo` is its sender's thread index (replyTo & 0xffff)
   * with the sender's reply tag above: pass it back to respond() as it is.
   */
  onRequest(replyTo: number, id: number, name: string | undefined, arg: unknown): void;
  /** The peer asked to abort a request it sent earlier. */
  onAbort(from: number, id: number): void;
  /** An answer to a request of ours; `ok` false means `value` is an encoded error. */
  decodeError(value: unknown): unknown;
  /** Encodes a thrown value for the wire. */
  encodeError(error: unknown): unknown;
  /** Sends a record out of band (postMessage), with its transfer list. */
  postOob(record: OobRecord, transfer: readonly unknown[] | undefined): void;
  /** Called when a value cannot be encoded; returns the error to reject with. */
  encodeFailed(cause: unknown): unknown;
}

/**
 * The sender a request hands to onRequest, and respond() takes back: its thread index, with the
 * requester's reply tag above it.
 */
const REPLY_TO_TAG_SHIFT = 16;
export const REPLY_THREAD_MASK = 0xffff;

/** Tight polling before an event-loop turn (see pollSpin). */
const SYNC_POLL_MS = 0.01;
/** tryWrite: the value cannot be encoded; the pending request (if any) was rejected. */
const NO_RING = -1;

class OutChannel {
  /** Answers first, then requests by priority. */
  readonly backlog: Queue<Outgoing>[] = [new Queue(), new Queue(), new Queue(), new Queue()];
  backlogSize = 0;
  readonly writer: RecordWriter;
  constructor(
    readonly to: number,
    readonly producer: RingProducer,
  ) {
    this.writer = new RecordWriter(producer);
  }
}

export class Endpoint {
  readonly self: number;
  gen: number;
  /** This incarnation's reply tag, in place in the meta word (META_REPLY_MASK). */
  private readonly replyTag: number;
  readonly pending = new Map<number, Pending>();
  /** Requests in flight per target thread, for the least-loaded policy. */
  readonly inflight: Int32Array;
  /** Requests sent per target thread since start (stats). */
  readonly sent: Float64Array;
  private readonly out: (OutChannel | null)[] = [];
  private readonly inbound: (RingConsumer | null)[] = [];
  private readonly ctrlI32: Int32Array[] = [];
  private readonly ctrlIdx: number[] = [];
  private readonly gens: Int32Array;
  private readonly gensIdx: number;
  private readonly backlogged = new Set<OutChannel>();
  private nextId = 1;
  private parked = false;
  private running = false;
  private lastWork = 0;
  private readonly spinMs: number;
  private readonly pumpBound: () => void;
  private readonly wakeBound: () => void;
  hooks!: EndpointHooks;
  /** Called when the first request starts waiting and when the last one settles. */
  onBusy: (() => void) | null = null;
  onIdle: (() => void) | null = null;
  /** Milliseconds this thread spent handling records (the driver's busy time). */
  busyMs = 0;
  /** Called on idle polling turns (drivers: sched_yield). */
  idleYield: (() => void) | null = null;
  /** Called after every drained batch (drivers publish their stats here). */
  afterBatch: (() => void) | null = null;

  constructor(plan: MeshPlan, self: number, gen: number, spinMs: number) {
    this.self = self;
    this.gen = gen;
    this.replyTag = (gen & 0xff) << META_REPLY_SHIFT;
    this.spinMs = spinMs;
    const codecs = plan.arenas.map((sab) => new Codec(sab));
    const threads = plan.ctrl.length;
    this.inflight = new Int32Array(threads);
    this.oobBlocked = new Uint8Array(threads);
    this.down = new Uint8Array(threads);
    for (let t = 0; t < threads; t++) this.oobArrived.push(new Map());
    this.sent = new Float64Array(threads);
    for (let t = 0; t < threads; t++) {
      const c = plan.ctrl[t];
      this.ctrlI32.push(codecs[c.arena].i32);
      this.ctrlIdx.push(c.offset >> 2);
      const outRing = plan.rings[self][t];
      this.out.push(outRing ? new OutChannel(t, new RingProducer(codecs[outRing.arena], outRing)) : null);
      const inRing = plan.rings[t][self];
      this.inbound.push(inRing ? new RingConsumer(codecs[inRing.arena], inRing) : null);
    }
    this.gens = codecs[0].i32;
    this.gensIdx = plan.gens >> 2;
    this.pumpBound = () => this.pump();
    this.wakeBound = () => this.wake();
  }

  /** Current generation of a thread (bumped by the main thread when it restarts a driver). */
  genOf(thread: number): number {
    // Atomics.load: written by the main thread when it restarts that driver.
    return Atomics.load(this.gens, this.gensIdx + thread) & 0xffff;
  }

  // ---------------------------------------------------------------- sending

  /** Sends a request; the returned Pending settles with the answer. */
  request(
    to: number,
    name: string | undefined,
    arg: unknown,
    priority: number,
    transfer: readonly unknown[] | undefined,
    resolve: (value: unknown) => void,
    reject: (error: unknown) => void,
  ): Pending {
    const id = this.nextId;
    this.nextId = id === 0x7fffffff ? 1 : id + 1;
    const gen = this.genOf(to);
    const pending = new Pending(id, to, gen);
    pending.resolve = resolve;
    pending.reject = reject;
    this.pending.set(id, pending);
    this.inflight[to]++;
    this.sent[to]++;
    if (this.pending.size === 1 && this.onBusy !== null) this.onBusy();
    let meta = KIND_REQUEST | (priority << META_PRIORITY_SHIFT) | this.replyTag | (gen << META_GEN_SHIFT);
    if (name !== undefined) meta |= META_NAMED;
    if (to === this.self) {
      // A task handing work to its own driver: no ring, the value is passed as is (not copied).
      queueMicrotask(() => this.hooks.onRequest(to, id, name, arg));
      return pending;
    }
    const ch = this.out[to]!;
    if (ch.backlogSize === 0 && transfer === undefined) {
      const r = this.tryWrite(ch, id, meta, name, arg, pending);
      if (r === WROTE || r === NO_RING) return pending;
      if (r === OVERSIZED) {
        this.sendOob(ch, 1 + priority, new Outgoing(id, meta, name ?? '', arg, undefined, pending));
        return pending;
      }
    } else if (transfer !== undefined) {
      this.sendOob(ch, 1 + priority, new Outgoing(id, meta, name ?? '', arg, transfer, pending));
      return pending;
    }
    this.enqueue(ch, 1 + priority, new Outgoing(id, meta, name ?? '', arg, undefined, pending));
    return pending;
  }

  /** Answers a request; `replyTo` is what onRequest got as its sender (thread and reply tag). */
  respond(replyTo: number, id: number, ok: boolean, value: unknown): void {
    const to = replyTo & REPLY_THREAD_MASK;
    if (to === this.self) return this.settle(id, ok, ok ? value : this.hooks.encodeError(value));
    const ch = this.out[to];
    if (ch === null) return;
    const meta = (ok ? KIND_RESULT : KIND_ERROR) | ((replyTo >>> REPLY_TO_TAG_SHIFT) << META_REPLY_SHIFT);
    const item = new Outgoing(id, meta, '', ok ? value : this.hooks.encodeError(value), undefined, null);
    if (ch.backlogSize === 0) {
      // A result that cannot be encoded reaches the caller as that error instead.
      const r = this.writeItem(ch, item, false);
      if (r === WROTE || r === NO_RING) return;
      if (r === OVERSIZED) return this.sendOob(ch, 0, item);
    }
    this.enqueue(ch, 0, item);
  }

  /** Tells `to` that a request we sent is aborted (it gets the signal if it started it). */
  sendAbort(to: number, id: number): void {
    if (to === this.self) return this.hooks.onAbort(to, id);
    const ch = this.out[to]!;
    if (ch.backlogSize === 0 && this.tryWrite(ch, id, KIND_ABORT, undefined, undefined, null) === WROTE) return;
    this.enqueue(ch, 0, new Outgoing(id, KIND_ABORT, '', undefined, undefined, null));
  }

  private lastEncodeError: unknown = null;

  /**
   * Writes one record into the ring (WROTE, FULL or OVERSIZED) and rings the consumer's bell.
   * NO_RING means the value cannot be encoded at all: the pending request (if any) was rejected
   * and nothing was sent.
   */
  private tryWrite(
    ch: OutChannel,
    id: number,
    meta: number,
    name: string | undefined,
    value: unknown,
    pending: Pending | null,
  ): number {
    const r = ch.writer.write(id, meta, name, value);
    if (r === WROTE) {
      this.ringBell(ch.to);
      return WROTE;
    }
    if (r !== UNENCODABLE) return r;
    this.lastEncodeError = this.hooks.encodeFailed(ch.writer.failure);
    ch.writer.failure = undefined; // not kept alive
    if (pending !== null) this.fail(id, this.lastEncodeError);
    return NO_RING;
  }

  /** Writes a backlog item; an answer (result or error) that cannot be encoded becomes that error. */
  private writeItem(ch: OutChannel, item: Outgoing, named: boolean): number {
    const r = this.tryWrite(ch, item.id, item.meta, named ? item.name : undefined, item.value, item.pending);
    const kind = item.meta & 15;
    if (r !== NO_RING || (kind !== KIND_RESULT && kind !== KIND_ERROR)) return r;
    item.meta = KIND_ERROR | (item.meta & META_REPLY_MASK);
    item.value = this.hooks.encodeError(this.lastEncodeError);
    return this.tryWrite(ch, item.id, item.meta, undefined, item.value, null);
  }

  private enqueue(ch: OutChannel, lane: number, item: Outgoing): void {
    if (this.down[ch.to] === 1) {
      // Nobody will ever read that ring: an answer or abort for it is dropped, a request fails.
      if (item.pending !== null) this.fail(item.id, this.downError(ch.to));
      return;
    }
    if (item.pending !== null) {
      item.pending.queued = item;
      this.queuedRequests++;
    }
    ch.backlog[lane].push(item);
    ch.backlogSize++;
    if (ch.backlogSize === 1) {
      this.backlogged.add(ch);
      ch.producer.requestSpace();
      this.kick();
    }
  }

  /** Writes what the backlogs hold, answers first, then high, normal and low priority. */
  private flushBacklogs(): boolean {
    let progress = false;
    for (const ch of this.backlogged) {
      for (let lane = 0; lane < 4 && ch.backlogSize > 0; lane++) {
        const q = ch.backlog[lane];
        for (let item = q.peek(); item !== undefined; item = q.peek()) {
          if (item.pending !== null && item.pending.queued !== item) {
            q.shift(); // aborted or failed while queued (unqueue already counted it)
            ch.backlogSize--;
            continue;
          }
          const named = (item.meta & META_NAMED) !== 0;
          if (item.pending !== null) {
            // The target may have been restarted while this waited: address its current incarnation.
            item.pending.gen = this.genOf(ch.to);
            item.meta = (item.meta & 0xffff) | (item.pending.gen << META_GEN_SHIFT);
          }
          let r = item.oob !== null ? this.writePlaceholder(ch, item) : this.writeItem(ch, item, named);
          if (r === OVERSIZED) {
            this.toPlaceholder(ch, item);
            r = this.writePlaceholder(ch, item);
          }
          if (r === FULL) {
            ch.producer.requestSpace();
            return progress;
          }
          q.shift();
          ch.backlogSize--;
          progress = true;
          if (item.pending !== null) {
            item.pending.queued = null;
            this.queuedRequests--;
          }
        }
      }
      if (ch.backlogSize === 0) this.backlogged.delete(ch);
    }
    return progress;
  }

  /**
   * Sends a record whose value takes postMessage (too large for the ring, or with a transfer
   * list): a small placeholder takes its place in the ring, written at once or queued in `lane`.
   */
  private sendOob(ch: OutChannel, lane: number, item: Outgoing): void {
    this.toPlaceholder(ch, item);
    if (ch.backlogSize === 0 && this.writePlaceholder(ch, item) === WROTE) return;
    this.enqueue(ch, lane, item);
  }

  private readonly oobSeq: number[] = [];

  /** Turns a queued or new item into a placeholder for an out-of-band record. */
  private toPlaceholder(ch: OutChannel, item: Outgoing): void {
    const seq = (this.oobSeq[ch.to] = (this.oobSeq[ch.to] ?? 0) + 1);
    item.oob = { t: 'rec', from: this.self, to: ch.to, id: item.id, meta: item.meta, name: item.name, value: item.value, seq, sgen: this.gen };
    item.oobTransfer = item.transfer;
    item.transfer = undefined;
    item.value = undefined;
    item.name = '';
    item.meta = (item.meta & ~META_NAMED) | META_OOB;
  }

  /**
   * Writes a placeholder and posts its record (both now, so the record addresses the target's
   * current incarnation, whose generation the placeholder carries too).
   */
  private writePlaceholder(ch: OutChannel, item: Outgoing): number {
    const rec = item.oob as OobRecord;
    const r = this.tryWrite(ch, (rec.sgen << 16) | this.genOf(ch.to), item.meta, undefined, rec.seq, null);
    if (r === FULL) return r;
    // OVERSIZED: a ring too small for any record (tests make them). Everything to that thread
    // takes postMessage then, which keeps its own order: no placeholder (seq 0).
    if (r !== WROTE) rec.seq = 0;
    // The request's generation bits may have been renewed while it waited (flushBacklogs).
    rec.meta = (item.meta & ~META_OOB) | (rec.meta & META_NAMED);
    this.postRecord(rec, item);
    return WROTE;
  }

  /**
   * Posts an out-of-band record. When postMessage cannot read its value (a getter or a Proxy trap
   * throws, or structured clone refuses it) only that request or answer fails; a record is still
   * posted, since its placeholder may be waiting for it: the abort of a request the peer never
   * saw (which it ignores), or the error in place of an answer.
   */
  private postRecord(rec: OobRecord, item: Outgoing): void {
    try {
      return this.hooks.postOob(rec, item.oobTransfer);
    } catch (cause) {
      const error = this.hooks.encodeFailed(cause);
      if ((rec.meta & 15) === KIND_REQUEST) {
        if (item.pending !== null) this.fail(rec.id, error);
        rec.meta = KIND_ABORT;
        rec.value = undefined;
      } else {
        rec.meta = KIND_ERROR | (rec.meta & META_REPLY_MASK);
        rec.value = this.hooks.encodeError(error);
      }
      rec.name = '';
      this.hooks.postOob(rec, undefined);
    }
  }

  /** Requests queued (not yet written) towards a thread. */
  backlogOf(to: number): number {
    return this.out[to]?.backlogSize ?? 0;
  }

  /** Drops a queued request (abort before it was sent); false if it was already written. */
  unqueue(pending: Pending): boolean {
    if (pending.queued === null) return false;
    pending.queued = null; // flushBacklogs skips it
    this.queuedRequests--;
    return true;
  }

  /** Requests waiting in backlogs (not yet handed to a driver), all targets together. */
  queuedRequests = 0;

  // ---------------------------------------------------------------- receiving

  /** Settles a pending request with an error (and forgets it). */
  fail(id: number, error: unknown): void {
    const pending = this.pending.get(id);
    if (pending === undefined) return;
    this.pending.delete(id);
    this.inflight[pending.to]--;
    this.unqueue(pending);
    pending.reject(error);
    if (this.pending.size === 0 && this.onIdle !== null) this.onIdle();
  }

  private settle(id: number, ok: boolean, value: unknown): void {
    const pending = this.pending.get(id);
    if (pending === undefined) return; // aborted, or rejected when its driver crashed
    this.pending.delete(id);
    this.inflight[pending.to]--;
    if (ok) pending.resolve(value);
    else pending.reject(this.hooks.decodeError(value));
    if (this.pending.size === 0 && this.onIdle !== null) this.onIdle();
  }

  private receiveRecord(rec: OobRecord): void {
    this.receive(rec.from, rec.id, rec.meta, (rec.meta & META_NAMED) !== 0 ? rec.name : undefined, rec.value);
  }

  /** Handles a record from a ring or out of band. */
  receive(from: number, id: number, meta: number, name: string | undefined, value: unknown): void {
    switch (meta & 15) {
      case KIND_REQUEST:
        // A request for an earlier incarnation of this driver: its sender already rejected it.
        if (meta >>> META_GEN_SHIFT !== this.gen) return;
        // The answer goes back with the requester's reply tag (see META_REPLY_SHIFT).
        this.hooks.onRequest(from | ((meta & META_REPLY_MASK) << (REPLY_TO_TAG_SHIFT - META_REPLY_SHIFT)), id, name, value);
        return;
      case KIND_RESULT:
        // Meant for an earlier incarnation of this thread: the id may be one of ours now.
        if ((meta & META_REPLY_MASK) !== this.replyTag) return;
        return this.settle(id, true, value);
      case KIND_ERROR:
        if ((meta & META_REPLY_MASK) !== this.replyTag) return;
        return this.settle(id, false, value);
      case KIND_ABORT:
        return this.hooks.onAbort(from, id);
    }
  }

  /** Handles a record that came by postMessage. */
  receiveOob(rec: OobRecord): void {
    if (rec.seq === 0) return this.receiveRecord(rec);
    this.oobArrived[rec.from].set(oobKey(rec.sgen, rec.seq), rec);
    // Its placeholder may be what stopped that ring: read on from there.
    if (this.oobBlocked[rec.from] === 1) {
      this.oobBlocked[rec.from] = 0;
      this.drainFrom(rec.from);
    }
  }

  /** Out-of-band records that arrived before their placeholder was read, per sender. */
  private readonly oobArrived: Map<number, OobRecord>[] = [];
  /** oobBlocked[from] = 1: that ring stopped at a placeholder whose record has not arrived. */
  private readonly oobBlocked: Uint8Array;

  /** A placeholder: its record if it arrived (null: stop here), or undefined (skip it). */
  private takeOob(from: number, gens: number, codec: Codec): OobRecord | null | undefined {
    const seq = codec.decode() as number;
    // Written for an earlier incarnation of this thread: its record went there.
    if ((gens & 0xffff) !== this.gen) return undefined;
    const key = oobKey(gens >>> 16, seq);
    const rec = this.oobArrived[from].get(key);
    if (rec === undefined) return null;
    this.oobArrived[from].delete(key);
    return rec;
  }

  /** Reads every record waiting from one peer. */
  drainFrom(from: number): number {
    const c = this.inbound[from];
    if (c === null || !c.poll()) return 0;
    const codec = c.codec;
    const i32 = codec.i32;
    let count = 0;
    for (let off = c.next(); off >= 0; off = c.next()) {
      const meta = i32[(off >> 2) + 1];
      const id = i32[(off >> 2) + 2];
      codec.pos = off + RECORD_HEADER_BYTES;
      if ((meta & META_OOB) !== 0) {
        const rec = this.takeOob(from, id, codec);
        if (rec === null) {
          this.oobBlocked[from] = 1; // receiveOob reads on
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
      this.receive(from, id, meta, name, value);
      count++;
      // Hand space back now and then so a producer of a long batch need not stall.
      if ((count & 255) === 0 && c.release()) this.ringBell(from);
    }
    if (c.release()) this.ringBell(from);
    return count;
  }

  drainAll(): number {
    let n = 0;
    for (let t = 0; t < this.inbound.length; t++) if (this.inbound[t] !== null) n += this.drainFrom(t);
    return n;
  }

  private anyInbound(): boolean {
    for (let t = 0; t < this.inbound.length; t++) {
      const c = this.inbound[t];
      // A blocked ring has records, but none to read until receiveOob: not work to spin on.
      if (c !== null && this.oobBlocked[t] === 0 && c.poll()) return true;
    }
    return false;
  }

  // ---------------------------------------------------------------- wake-ups

  private ringBell(thread: number): void {
    const i32 = this.ctrlI32[thread];
    const base = this.ctrlIdx[thread];
    // Atomics.load first: the common case (consumer awake) costs no read-modify-write.
    // compareExchange: of all producers that saw PARKED, exactly one rings.
    if (
      Atomics.load(i32, base + CTRL_STATE) === STATE_PARKED &&
      Atomics.compareExchange(i32, base + CTRL_STATE, STATE_PARKED, STATE_AWAKE) === STATE_PARKED
    ) {
      // Atomics.add + notify: BELL changes so a waitAsync that has not started yet returns at once.
      Atomics.add(i32, base + CTRL_BELL, 1);
      Atomics.notify(i32, base + CTRL_BELL, 1);
    }
  }

  /** Starts the pump (once per thread). */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.lastWork = performance.now();
    this.pump();
  }

  stop(): void {
    this.running = false;
    // Wake a parked pump so it sees running === false and returns.
    const i32 = this.ctrlI32[this.self];
    const base = this.ctrlIdx[this.self];
    Atomics.store(i32, base + CTRL_STATE, STATE_AWAKE);
    Atomics.add(i32, base + CTRL_BELL, 1);
    Atomics.notify(i32, base + CTRL_BELL);
  }

  /** Makes sure a parked pump runs again soon (new local work such as a backlog). */
  kick(): void {
    if (this.parked) this.ringBell(this.self);
  }

  private pump(): void {
    if (!this.running) return;
    const t0 = performance.now();
    const n = this.drainAll();
    const flushed = this.backlogged.size > 0 && this.flushBacklogs();
    if (this.afterBatch !== null) this.afterBatch();
    const now = performance.now();
    if (n > 0) this.busyMs += now - t0;
    if (n > 0 || flushed) this.lastWork = now;
    else if (now - this.lastWork < this.spinMs && this.pollSpin(now)) {
      this.pump();
      return;
    }
    if (now - this.lastWork < this.spinMs) {
      // Stay awake a little: the next record is likely close. While idle, let another runnable
      // thread on this core (the one that feeds us, say) go first.
      if (n === 0 && !flushed && this.idleYield !== null) this.idleYield();
      setImmediate(this.pumpBound);
      return;
    }
    this.park();
  }

  /**
   * Nothing arrived, but something did recently: watch the inbound rings in a tight loop for a few
   * microseconds before handing control back to the event loop. One event-loop turn costs a
   * syscall and a microsecond or two; a record that lands meanwhile is seen at once. Short, so
   * timers and I/O of the thread's own async tasks are hardly delayed.
   */
  private pollSpin(now: number): boolean {
    const until = now + SYNC_POLL_MS;
    do {
      if (this.anyInbound()) return true;
    } while (performance.now() < until);
    return false;
  }

  private park(): void {
    const i32 = this.ctrlI32[this.self];
    const base = this.ctrlIdx[this.self];
    // Atomics.load: the bell value to wait on must be read before announcing PARKED.
    const bell = Atomics.load(i32, base + CTRL_BELL);
    // Atomics.store: producers read STATE after publishing; with our re-check of the rings below
    // (sequentially consistent), either they see PARKED or we see their record.
    Atomics.store(i32, base + CTRL_STATE, STATE_PARKED);
    // A backlog must be woken when space frees: ask each consumer (WANT_SPACE) before the last
    // try, so either the try sees the space or the consumer sees the request.
    for (const ch of this.backlogged) ch.producer.requestSpace();
    if (this.anyInbound() || (this.backlogged.size > 0 && this.flushBacklogs())) {
      Atomics.store(i32, base + CTRL_STATE, STATE_AWAKE);
      setImmediate(this.pumpBound);
      return;
    }
    this.parked = true;
    const r = Atomics.waitAsync(i32, base + CTRL_BELL, bell);
    if (r.async) r.value.then(this.wakeBound);
    else this.wake();
  }

  private wake(): void {
    this.parked = false;
    const i32 = this.ctrlI32[this.self];
    // Atomics.store: announce we are awake so producers skip the bell.
    Atomics.store(i32, this.ctrlIdx[this.self] + CTRL_STATE, STATE_AWAKE);
    this.lastWork = performance.now();
    this.pump();
  }

  /** 1 per thread that is gone for good (targetDown): nothing is queued for it any more. */
  private readonly down: Uint8Array;
  private readonly downErrors: (() => unknown)[] = [];

  private downError(thread: number): unknown {
    return this.downErrors[thread]();
  }

  /**
   * `thread` is gone for good (dead and not restarted): every request still pending for it, in a
   * backlog or written, rejects now with `error()`, and its backlog (answers, aborts) is dropped.
   * Requests it answered before dying were already read by failTarget.
   */
  targetDown(thread: number, error: () => unknown): number {
    if (this.down[thread] === 1) return 0;
    this.down[thread] = 1;
    this.downErrors[thread] = error;
    const ch = this.out[thread];
    if (ch !== null && ch.backlogSize > 0) {
      for (const q of ch.backlog) q.drain();
      ch.backlogSize = 0;
      this.backlogged.delete(ch);
    }
    let n = 0;
    for (const [id, p] of this.pending) {
      if (p.to === thread) {
        this.fail(id, error());
        n++;
      }
    }
    return n;
  }

  /** Rejects every pending request sent to `thread` in generation `gen` (it crashed). */
  failTarget(thread: number, gen: number, error: () => unknown): number {
    this.drainFrom(thread); // answers it managed to publish still count
    const c = this.inbound[thread];
    while (c !== null && this.oobBlocked[thread] === 1) {
      // The record of this placeholder may have died with its sender: skip it (what it answered
      // is rejected below with the rest) and read on.
      const off = c.next();
      if (off < 0) break;
      c.advance(off);
      this.oobBlocked[thread] = 0;
      if (c.release()) this.ringBell(thread);
      this.drainFrom(thread);
    }
    let n = 0;
    for (const [id, p] of this.pending) {
      if (p.to === thread && p.gen === gen && p.queued === null) {
        this.fail(id, error());
        n++;
      }
    }
    return n;
  }
}
