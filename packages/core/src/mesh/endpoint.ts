/**
 * One thread's end of the mesh: the rings it writes (one OutChannel per peer), the rings it
 * reads, the requests it is waiting for, and the pump that moves records. The main thread and
 * every driver own exactly one Endpoint; nothing here may be shared between threads except
 * through the arenas. Its parts, each in its own file:
 *   ./records.ts      what a request, answer, abort or placeholder is, and its meta word
 *   ./out-channel.ts  writing into one peer's ring, and the backlog when it is full
 *   ./oob.ts          records that take postMessage, and their placeholders in the ring
 *   ./inbound.ts      reading the rings of every peer, in order
 *   ./doorbell.ts     parking a thread with nothing to read, and waking it (Atomics)
 * This file composes them: sending (request, respond, sendAbort), the requests waiting for an
 * answer (receive, settle, fail), the pump and its park/wake decisions, and a peer that died
 * (failTarget, targetDown).
 *
 * Thread: every method only on the thread that constructed the Endpoint; hooks are called there.
 */
import { performance } from 'node:perf_hooks'; // a module binding: the global is a lazy getter
import { Codec } from '../codec/codec';
import { KIND_ABORT, KIND_ERROR, KIND_REQUEST, KIND_RESULT, META_GEN_SHIFT, META_REPLY_MASK, META_REPLY_SHIFT } from '../ring/layout';
import { OVERSIZED, WROTE } from '../ring/record-writer';
import { RingConsumer, RingProducer } from '../ring/ring';
import { Doorbell } from './doorbell';
import { Inbound } from './inbound';
import { OutOfBand } from './oob';
import { FLUSH_FULL, FLUSH_PROGRESS, NO_RING, OutChannel } from './out-channel';
import type { MeshPlan } from './plan';
import {
  answerMeta,
  type EndpointCore,
  type EndpointHooks,
  type OobRecord,
  Outgoing,
  Pending,
  REPLY_THREAD_MASK,
  replyToOf,
  requestMeta,
} from './records';

/** Tight polling before an event-loop turn (see pollSpin). */
const SYNC_POLL_MS = 0.01;

export class Endpoint implements EndpointCore {
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
  private readonly in: Inbound;
  /** This thread's own doorbell (park and wake). */
  private readonly bell: Doorbell;
  private readonly oob: OutOfBand;
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
  /** Requests waiting in backlogs (not yet handed to a driver), all targets together. */
  queuedRequests = 0;
  /** 1 per thread that is gone for good (targetDown): nothing is queued for it any more. */
  private readonly down: Uint8Array;
  private readonly downErrors: (() => unknown)[] = [];

  constructor(plan: MeshPlan, self: number, gen: number, spinMs: number) {
    this.self = self;
    this.gen = gen;
    this.replyTag = (gen & 0xff) << META_REPLY_SHIFT;
    this.spinMs = spinMs;
    const codecs = plan.arenas.map((sab) => new Codec(sab));
    const threads = plan.ctrl.length;
    this.inflight = new Int32Array(threads);
    this.oob = new OutOfBand(threads, this);
    this.down = new Uint8Array(threads);
    this.sent = new Float64Array(threads);
    const bells: Doorbell[] = [];
    const inbound: (RingConsumer | null)[] = [];
    for (let t = 0; t < threads; t++) {
      const c = plan.ctrl[t];
      bells.push(new Doorbell(codecs[c.arena].i32, c.offset >> 2));
    }
    this.bell = bells[self];
    for (let t = 0; t < threads; t++) {
      const outRing = plan.rings[self][t];
      this.out.push(outRing ? new OutChannel(t, new RingProducer(codecs[outRing.arena], outRing), bells[t], this.oob, this) : null);
      const inRing = plan.rings[t][self];
      inbound.push(inRing ? new RingConsumer(codecs[inRing.arena], inRing) : null);
    }
    this.in = new Inbound(inbound, bells, this.oob, this);
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
    const meta = requestMeta(priority, this.replyTag, gen, name !== undefined);
    if (to === this.self) {
      // A task handing work to its own driver: no ring, the value is passed as is (not copied).
      queueMicrotask(() => this.hooks.onRequest(to, id, name, arg));
      return pending;
    }
    const ch = this.out[to]!;
    if (ch.backlogSize === 0 && transfer === undefined) {
      const r = ch.write(id, meta, name, arg, pending);
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
    const item = new Outgoing(id, answerMeta(ok, replyTo), '', ok ? value : this.hooks.encodeError(value), undefined, null);
    if (ch.backlogSize === 0) {
      // A result that cannot be encoded reaches the caller as that error instead.
      const r = ch.writeItem(item, false);
      if (r === WROTE || r === NO_RING) return;
      if (r === OVERSIZED) return this.sendOob(ch, 0, item);
    }
    this.enqueue(ch, 0, item);
  }

  /** Tells `to` that a request we sent is aborted (it gets the signal if it started it). */
  sendAbort(to: number, id: number): void {
    if (to === this.self) return this.hooks.onAbort(to, id);
    const ch = this.out[to]!;
    if (ch.backlogSize === 0 && ch.write(id, KIND_ABORT, undefined, undefined, null) === WROTE) return;
    this.enqueue(ch, 0, new Outgoing(id, KIND_ABORT, '', undefined, undefined, null));
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
    ch.push(lane, item);
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
      const r = ch.flush();
      if ((r & FLUSH_PROGRESS) !== 0) progress = true;
      if ((r & FLUSH_FULL) !== 0) return progress;
      if (ch.backlogSize === 0) this.backlogged.delete(ch);
    }
    return progress;
  }

  /**
   * Sends a record whose value takes postMessage (too large for the ring, or with a transfer
   * list): a small placeholder takes its place in the ring, written at once or queued in `lane`.
   */
  private sendOob(ch: OutChannel, lane: number, item: Outgoing): void {
    this.oob.toPlaceholder(ch.to, item);
    if (ch.backlogSize === 0 && ch.writePlaceholder(item) === WROTE) return;
    this.enqueue(ch, lane, item);
  }

  /** Requests queued (not yet written) towards a thread. */
  backlogOf(to: number): number {
    return this.out[to]?.backlogSize ?? 0;
  }

  /** Drops a queued request (abort before it was sent); false if it was already written. */
  unqueue(pending: Pending): boolean {
    if (pending.queued === null) return false;
    pending.queued = null; // OutChannel.flush skips it
    this.queuedRequests--;
    return true;
  }

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

  /** Handles a record from a ring or out of band. */
  receive(from: number, id: number, meta: number, name: string | undefined, value: unknown): void {
    switch (meta & 15) {
      case KIND_REQUEST:
        // A request for an earlier incarnation of this driver: its sender already rejected it.
        if (meta >>> META_GEN_SHIFT !== this.gen) return;
        this.hooks.onRequest(replyToOf(from, meta), id, name, value);
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
    this.in.receiveOob(rec);
  }

  // ---------------------------------------------------------------- the pump

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
    this.bell.stop();
  }

  /** Makes sure a parked pump runs again soon (new local work such as a backlog). */
  kick(): void {
    if (this.parked) this.bell.ring();
  }

  private pump(): void {
    if (!this.running) return;
    const t0 = performance.now();
    const n = this.in.drainAll();
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
      if (this.in.any()) return true;
    } while (performance.now() < until);
    return false;
  }

  private park(): void {
    // PARKED first, then the last look at the rings (see Doorbell.arm).
    const bell = this.bell.arm();
    // A backlog must be woken when space frees: ask each consumer (WANT_SPACE) before the last
    // try, so either the try sees the space or the consumer sees the request.
    for (const ch of this.backlogged) ch.producer.requestSpace();
    if (this.in.any() || (this.backlogged.size > 0 && this.flushBacklogs())) {
      this.bell.awake();
      setImmediate(this.pumpBound);
      return;
    }
    this.parked = true;
    this.bell.wait(bell, this.wakeBound);
  }

  private wake(): void {
    this.parked = false;
    this.bell.awake();
    this.lastWork = performance.now();
    this.pump();
  }

  // ---------------------------------------------------------------- a peer that died

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
      ch.drop();
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
    // Answers it managed to publish still count; placeholders whose records may have died with
    // it are skipped (what they answered is rejected below with the rest).
    this.in.drainDead(thread);
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
