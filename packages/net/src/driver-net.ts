/**
 * A driver's networking: its io_uring, its listeners (one SO_REUSEPORT socket per served port,
 * each with one multishot accept and one provided buffer ring) and its connections.
 *
 * Thread: everything here runs on the driver thread that created it (the ring is SINGLE_ISSUER).
 * Flow per turn: the native pump reaps CQEs and calls onEvents once per batch; handlers run and
 * queue writes; flush() turns dirty connections into send/shutdown SQEs; native code returns the
 * batch's receive buffers to their rings, then submits everything in one io_uring_enter.
 * Writes made outside a batch (timers, resolved promises) flush from a microtask, and the native
 * uv_prepare hook submits them before the loop blocks.
 */
import {
  CQE_BUFFER_SHIFT,
  CQE_F_MORE,
  EVENT_STRIDE,
  OP_ACCEPT,
  OP_CANCEL,
  OP_CLOSE,
  OP_RECV,
  OP_RECVMSG,
  OP_SENDMSG,
  OP_SEND,
  OP_SHUTDOWN,
  OP_TIMEOUT,
  SHUT_WR,
  createUring,
  errnoName,
  listenError,
  SocketError,
  type Uring,
} from '@gatio/native';
import { channel } from 'node:diagnostics_channel';
import { Buffer } from 'node:buffer'; // a module binding: the global is an accessor
import { performance } from 'node:perf_hooks'; // a module binding: the global is a lazy getter
import * as os from 'node:os';
import type { NormalizedTcpPort, NormalizedUdpPort } from './config';
import { Connection } from './connection';
import { Listener, type Handler } from './listener';
import { ownCopy, receivedBytes } from './received';
import { ConnectionError, IdleTimeoutError } from './errors';
import { closeDriver, NO_SLOT } from './driver-close';
import { SendBlocks } from './send-blocks';
import { ownSendMemory, releaseSendMemory } from './send-memory';
import { checkCredentials, readCredentials, type Credentials } from './guards';
export { Listener, type Handler } from './listener';
import { STAGING_BITS, UdpSocket, type UdpHandler, type UdpHost } from './udp-socket';

const E = os.constants.errno;

/** A connection's queued chunks as one send; the large ones this driver made are freed at once. */
function concatQueue(queue: Uint8Array[]): Buffer {
  const all = Buffer.concat(queue);
  for (const chunk of queue) releaseSendMemory(chunk);
  ownSendMemory(all);
  return all;
}

const isThenable = (v: unknown): v is PromiseLike<unknown> =>
  typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function';
/** diagnostics_channel events, published on the driver thread that serves the port. */
const acceptChannel = channel('gatio:net:accept');
const refuseChannel = channel('gatio:net:refuse');
const acceptErrorChannel = channel('gatio:net:accept-error');
/**
 * Request ids (the id part of io_uring user_data) of a connection's requests: its slot in the low
 * SLOT_BITS, and above them the slot's generation, which changes each time the slot is reused. A
 * completion that arrives after its connection closed (a request the driver lost track of, or one
 * issued by mistake) then names an id that no live connection has, and is dropped instead of
 * settling the slot's next connection. Native per-slot tables index by the slot alone
 * (native/src/uring/ops.h, kSlotBits). 11 generation bits keep ids positive in the Int32 events.
 */
const SLOT_BITS = 20;
const SLOT_MASK = (1 << SLOT_BITS) - 1;
const GEN_MASK = (1 << 11) - 1;
/** Tick period basis without an idle timeout: the credential check runs every second. */
const CHECK_IDLE_MS = 4000;

export class DriverNet implements UdpHost {
  readonly ring: Uring;
  /** @internal Where small writes wait for their send (send-blocks.ts). */
  readonly blocks: SendBlocks;
  private readonly control: Int32Array;
  readonly listeners: Listener[] = [];
  /** UDP sockets (udp-socket.ts); their events are dispatched here, the ring being shared. */
  readonly udp: UdpSocket[] = [];
  private udpDirty: UdpSocket[] = [];
  private udpRearm: UdpSocket[] = [];
  /** @internal */ udpOpen = 0;
  /** Whole-driver counters for Runtime#metrics (see stats()). */
  readonly counters = { batches: 0, cqes: 0, bytesIn: 0, bytesOut: 0 };
  /** @internal */ readonly slots: Array<Connection | undefined> = [undefined];
  private readonly freeSlots: number[] = [];
  /** slotGen[slot]: the generation of the slot's current (or last) connection. */
  private readonly slotGen: number[] = [0];
  private nextId = 1;
  private dirty: Connection[] = [];
  private rearm: Connection[] = [];
  private inBatch = false;
  private flushScheduled = false;
  /** Set by serve(): accepts and UDP receives are armed only from then on. */
  private serving = false;
  private now = performance.now();
  /** @internal */ tickMs = 0;
  /** @internal */ connCount = 0;
  /** @internal Connections closed for going over maxQueuedSendBytes (a metric). */
  sendOverflows = 0;
  /** @internal */ closing = false;
  /** Set once the driver stopped serving (credentials changed): why. */
  refused: Error | null = null;
  /** Process credentials when this ring was created (guards.ts). */
  readonly credentials: Credentials;
  /** @internal */ allClosed: (() => void) | null = null;
  private readonly flushBound = () => {
    this.flushScheduled = false;
    this.flush();
  };

  /** `ringEntries`: SQ entries of this driver's io_uring (the CQ gets 4x). */
  constructor(
    readonly driverId: number,
    ringEntries: number,
  ) {
    this.credentials = readCredentials();
    this.ring = createUring(ringEntries, (n) => this.onEvents(n));
    this.blocks = new SendBlocks(this.ring);
    this.control = this.ring.control;
  }

  get connections(): number {
    return this.connCount;
  }

  /**
   * Opens the listener (bound and listening: the kernel queues connections in its backlog), but
   * accepts only after serve(). Throws PortInUseError and friends.
   */
  listen(spec: NormalizedTcpPort, handler: Handler, handlerHash: string): Listener {
    const l = new Listener(this.listeners.length, spec, handler, handlerHash);
    const r = this.ring.addBufferGroup(l.index, l.memory, spec.options.bufferSize, spec.options.bufferCount);
    if (r < 0) throw new SocketError(-r, 'io_uring_register(PBUF_RING)', this.ring.info().fd);
    const [fd, stage, bound] = this.ring.listen(spec.host, spec.port, spec.options.backlog);
    if (fd < 0) throw listenError(spec.host, spec.port, fd, stage);
    l.fd = fd;
    l.boundPort = bound;
    this.listeners.push(l);
    this.armTick(spec.options.idleTimeoutMs > 0 ? spec.options.idleTimeoutMs : CHECK_IDLE_MS);
    this.ring.flush();
    return l;
  }

  /** Binds this driver's SO_REUSEPORT UDP socket for spec; its multishot recvmsg is armed by serve(). */
  bindUdp(spec: NormalizedUdpPort, handler: UdpHandler, handlerHash: string): UdpSocket {
    const s = new UdpSocket(this, this.udp.length, spec, handler, handlerHash);
    s.bind(listenError);
    this.udp.push(s);
    this.udpOpen++;
    this.armTick(CHECK_IDLE_MS);
    this.ring.flush();
    return s;
  }

  /** @internal UdpHost: sends queued outside a batch flush from a microtask, like TCP writes. */
  markUdpDirty(s: UdpSocket): void {
    s.dirty = true;
    this.udpDirty.push(s);
    if (!this.inBatch && !this.flushScheduled) {
      this.flushScheduled = true;
      queueMicrotask(this.flushBound);
    }
  }

  /** @internal UdpHost */
  udpClosed(): void {
    this.udpOpen--;
    if (this.udpOpen === 0 && this.connCount === 0 && this.allClosed !== null) this.allClosed();
  }

  /**
   * Starts serving: arms every listener's accept and every UDP socket's receive. Called on the
   * main thread's 'go', once it has checked every driver's report, so a driver whose
   * configuration is refused never accepts a connection (until then they wait in the backlog).
   */
  serve(): void {
    if (this.serving || this.closing) return;
    this.serving = true;
    for (const l of this.listeners) this.armAccept(l);
    for (const s of this.udp) s.armRecv();
    this.ring.flush();
  }

  /**
   * Arms l's multishot accept. Never throws (it runs inside completion batches and timers, where
   * an exception would kill the driver): a refused arm is retried after a back-off.
   */
  private armAccept(l: Listener): void {
    l.retryTimer = null;
    if (l.closing || l.acceptArmed || !this.serving || !this.credentialsOk()) return;
    let r: number;
    try {
      r = this.ring.accept(l.fd, l.index);
    } catch {
      r = -E.EINVAL; // a bad argument: retried like any failure, and reported
    }
    if (r < 0) return this.acceptFailed(l, -r);
    l.acceptArmed = true;
  }

  /**
   * An accept failed (its completion, or arming it): count it, publish it, and re-arm after a
   * bounded exponential back-off (listener.ts), never at once: an error that repeats (a listening
   * socket shut down, descriptors exhausted) would otherwise spin the driver.
   */
  private acceptFailed(l: Listener, errno: number): void {
    l.stats.acceptErrors++;
    l.acceptFailures++;
    const retryMs = l.retryDelayMs(errno === E.EMFILE || errno === E.ENFILE || errno === E.ENOMEM);
    if (acceptErrorChannel.hasSubscribers) {
      acceptErrorChannel.publish({ driver: this.driverId, port: l.boundPort, errno, code: errnoName(errno), failures: l.acceptFailures, retryMs });
    }
    if (l.retryTimer !== null) return;
    l.retryTimer = setTimeout(() => this.armAccept(l), retryMs);
    l.retryTimer.unref(); // the ring keeps the driver alive while it serves; a retry must not
  }

  private armTick(idleMs: number): void {
    // One multishot timeout per driver; a quarter of the shortest idle timeout bounds the lag.
    const period = Math.max(10, Math.min(1000, Math.floor(idleMs / 4)));
    if (this.tickMs !== 0 && this.tickMs <= period) return;
    if (this.tickMs !== 0) this.ring.timeoutRemove(0, NO_SLOT);
    this.tickMs = period;
    this.ring.timeout(period, 0);
  }

  /**
   * @internal Asks native code to report send completions at once rather than with the next
   * batch: a connection waits for its send in flight (bytes queued behind it, a drain, a close).
   */
  waitForSends(): void {
    this.control[0] = 1;
  }

  private onEvents(n: number): void {
    const ev = this.ring.events;
    this.counters.batches++;
    this.counters.cqes += n;
    this.inBatch = true;
    this.now = performance.now();
    for (let i = 0, o = 0; i < n; i++, o += EVENT_STRIDE) {
      const id = ev[o + 1];
      const res = ev[o + 2];
      switch (ev[o]) {
        case OP_RECV:
          if (res > 0) this.counters.bytesIn += res;
          this.onRecv(this.byRequest(id), res, ev[o + 3]);
          break;
        case OP_SEND:
          if (res > 0) this.counters.bytesOut += res;
          this.onSend(this.byRequest(id), res);
          break;
        case OP_ACCEPT:
          this.onAccept(id, res, ev[o + 3]);
          break;
        case OP_SHUTDOWN:
          this.onShutdown(this.byRequest(id));
          break;
        case OP_CLOSE:
          this.onClosed(this.byRequest(id));
          break;
        case OP_TIMEOUT:
          if (res === -E.ETIME) this.onTick();
          break;
        case OP_RECVMSG:
          if (this.udp[id].onRecv(res, ev[o + 3])) this.udpRearm.push(this.udp[id]);
          break;
        case OP_SENDMSG:
          this.udp[id >>> STAGING_BITS].onSendDone(id & ((1 << STAGING_BITS) - 1), res, ev[o + 3]);
          break;
        case OP_CANCEL:
          break;
      }
    }
    this.inBatch = false;
    this.flush();
  }

  /** Every slot a request id can name is taken (over a million connections on this driver). */
  private get slotsExhausted(): boolean {
    return this.freeSlots.length === 0 && this.slots.length > SLOT_MASK;
  }

  /** The connection a request id names, or undefined when it is stale (see SLOT_BITS) or fire-and-forget. */
  private byRequest(id: number): Connection | undefined {
    const conn = this.slots[id & SLOT_MASK];
    return conn !== undefined && conn.reqId === id ? conn : undefined;
  }

  private onAccept(index: number, res: number, flags: number): void {
    const l = this.listeners[index];
    if (res >= 0) {
      l.acceptFailures = 0;
      if (l.closing || l.connections >= l.options.maxConnections || this.slotsExhausted) {
        l.stats.refused++;
        this.ring.close(res, NO_SLOT);
        if (refuseChannel.hasSubscribers) refuseChannel.publish({ driver: this.driverId, port: l.boundPort });
      } else {
        l.stats.accepted++;
        this.openConnection(l, res);
        if (acceptChannel.hasSubscribers) acceptChannel.publish({ driver: this.driverId, port: l.boundPort, fd: res });
      }
    }
    if ((flags & CQE_F_MORE) !== 0) return;
    // The multishot accept ended: re-arm, or SO_REUSEPORT keeps routing connections here.
    l.acceptArmed = false;
    l.stats.acceptRearms++;
    if (l.closing) {
      this.ring.close(l.fd, NO_SLOT);
      l.fd = -1;
    } else if (res < 0) {
      this.acceptFailed(l, -res); // re-armed after a back-off
    } else {
      this.armAccept(l); // ended after a connection (a full CQ): at once
    }
  }

  private openConnection(l: Listener, fd: number): void {
    const slot = this.freeSlots.pop() ?? this.slots.length;
    const gen = ((this.slotGen[slot] ?? 0) + 1) & GEN_MASK;
    this.slotGen[slot] = gen;
    const conn = new Connection(this, l, slot, (gen << SLOT_BITS) | slot, fd, this.nextId++);
    this.slots[slot] = conn;
    l.connections++;
    this.connCount++;
    conn.lastActive = this.now;
    this.ring.setNoDelay(fd, true); // request/response traffic: never wait for Nagle
    this.armRecv(conn);
    if (l.handler.open !== undefined) {
      try {
        l.handler.open(conn);
      } catch (err) {
        this.handlerThrew(conn, err, 'open');
      }
    }
  }

  private armRecv(conn: Connection): void {
    const r = this.ring.recv(conn.fd, conn.reqId, conn.listener.index);
    if (r < 0) return conn.destroy(new ConnectionError(`recv could not be armed: ${errnoName(-r)}`, -r, 'recv'));
    conn.recvArmed = true;
  }

  private onRecv(conn: Connection | undefined, res: number, flags: number): void {
    if (conn === undefined) return;
    if (res > 0) {
      if (conn.state === 'open') {
        conn.lastActive = this.now;
        const l = conn.listener;
        // The provided buffer goes back to the ring when the batch returns, and is shared with the
        // listener's other connections: handlers get a copy (received.ts), never a view of it.
        const offset = (flags >>> CQE_BUFFER_SHIFT) * l.options.bufferSize;
        if (conn.paused || conn.held.length > 0) {
          // Received before the cancel took effect, or behind bytes resume() has yet to deliver.
          conn.held.push(ownCopy(l.memory, offset, res));
        } else {
          try {
            l.handler.data(conn, receivedBytes(conn, l.memory, offset, res));
          } catch (err) {
            this.handlerThrew(conn, err, 'data');
          }
        }
      }
      if ((flags & CQE_F_MORE) !== 0) return;
      conn.recvArmed = false;
      if (conn.state === 'open') this.rearm.push(conn); // not while paused: see flush
    } else {
      conn.recvArmed = false;
      if (res === -E.ENOBUFS) {
        conn.listener.stats.enobufs++;
        // The group ran dry; this batch's buffers go back when it returns, then we re-arm.
        if (conn.state === 'open') this.rearm.push(conn);
      } else if (res === 0) {
        if (conn.state === 'open') {
          if (conn.paused || conn.held.length > 0) conn.heldEof = true;
          else this.peerEnded(conn);
        }
      } else if (res === -E.ECANCELED) {
        // Cancelled by pause(): if resume() came before this completion, receive again (see flush).
        if (conn.state === 'open') this.rearm.push(conn);
      } else {
        conn.destroy(new ConnectionError(`recv failed: ${errnoName(-res)} (peer reset?)`, -res, 'recv'));
      }
    }
    this.maybeClose(conn);
  }

  /**
   * The peer sent FIN. The handler's end(conn) runs first; the connection ends (queued writes
   * flushed, then FIN) once it returned or, if it returned a promise, once that settled: a reply
   * still on its way (from another driver, a database) is written before the close.
   */
  private peerEnded(conn: Connection): void {
    const h = conn.listener.handler;
    if (h.end === undefined) return conn.end();
    let r: unknown;
    try {
      r = h.end(conn);
    } catch (err) {
      return this.handlerThrew(conn, err, 'end');
    }
    if (!isThenable(r)) return conn.end();
    conn.endHookPending = true;
    r.then(
      () => this.endHookSettled(conn, undefined),
      (err: unknown) => this.endHookSettled(conn, err ?? new Error('end() rejected')),
    );
  }

  /** handler.end's promise settled: end the connection (or close it with the rejection). */
  private endHookSettled(conn: Connection, err: unknown): void {
    conn.endHookPending = false;
    if (conn.state !== 'open') return; // ended by the handler, destroyed, or timed out meanwhile
    if (err !== undefined) this.handlerThrew(conn, err, 'end');
    else conn.end();
  }

  /** @internal After resume(): the held bytes (and EOF) first, then a receive again. */
  resumeRecv(conn: Connection): void {
    if (conn.held.length > 0 || conn.heldEof) {
      // On a microtask, not inside resume(): a handler may call it from data() or from a timer,
      // and the bytes must not arrive in the middle of its own code.
      queueMicrotask(() => this.deliverHeld(conn));
      return;
    }
    this.rearm.push(conn);
    this.scheduleFlush();
  }

  private deliverHeld(conn: Connection): void {
    const h = conn.listener.handler;
    while (conn.held.length > 0) {
      if (conn.paused || conn.state !== 'open') return; // paused again: the rest waits
      const bytes = conn.held.shift() as Buffer;
      conn.lastActive = performance.now();
      try {
        h.data(conn, bytes);
      } catch (err) {
        this.handlerThrew(conn, err, 'data');
      }
    }
    if (conn.paused || conn.state !== 'open') return;
    if (conn.heldEof) {
      conn.heldEof = false;
      this.peerEnded(conn);
      this.maybeClose(conn);
      return;
    }
    this.rearm.push(conn);
    this.scheduleFlush();
  }

  private onSend(conn: Connection | undefined, res: number): void {
    if (conn === undefined || conn.inflight === null) return;
    if (res < 0) {
      this.sendDone(conn);
      conn.destroy(new ConnectionError(`send failed: ${errnoName(-res)}`, -res, 'send'));
      return this.maybeClose(conn);
    }
    conn.lastActive = this.now;
    conn.inflightOffset += res;
    if (conn.state !== 'closing') conn.queued -= res;
    const rest = conn.inflightLen - conn.inflightOffset;
    if (rest > 0 && conn.state !== 'closing') {
      // Partial send (socket buffer full): resume from where the kernel stopped.
      this.ring.send(conn.fd, conn.reqId, conn.inflight, conn.inflightOffset, rest);
      return;
    }
    this.sendDone(conn);
    if (conn.hasPending || conn.shutdownPending) this.markDirty(conn);
    if (conn.needDrain && conn.queued < conn.listener.options.highWaterMark && conn.state === 'open') {
      conn.needDrain = false;
      const h = conn.listener.handler;
      try {
        if (conn.onDrain !== null) conn.onDrain(conn);
        else h.drain?.(conn);
      } catch (err) {
        this.handlerThrew(conn, err, 'drain');
      }
    }
    this.maybeClose(conn);
  }

  /** The send in flight is over: its block (if it used one) is free again, a large buffer freed. */
  private sendDone(conn: Connection): void {
    if (conn.inflightBlock >= 0) this.blocks.release(conn.inflightBlock);
    else releaseSendMemory(conn.inflight); // only if this driver made it (send-memory.ts)
    conn.inflightBlock = -1;
    conn.inflight = null;
  }

  private onShutdown(conn: Connection | undefined): void {
    if (conn === undefined) return;
    conn.shutdownSent = false;
    this.maybeClose(conn);
  }

  private onClosed(conn: Connection | undefined): void {
    if (conn === undefined) return;
    this.slots[conn.slot] = undefined;
    this.freeSlots.push(conn.slot);
    conn.listener.connections--;
    this.connCount--;
    conn.state = 'closed';
    try {
      conn.listener.handler.close?.(conn, conn.error);
    } catch {
      // The connection is gone; an error from its close handler has nowhere left to go.
    }
    if (this.connCount === 0 && this.udpOpen === 0 && this.allClosed !== null) this.allClosed();
  }

  /** False (and the driver stops serving) once the process credentials changed. */
  private credentialsOk(): boolean {
    if (this.refused !== null) return false;
    try {
      checkCredentials(this.credentials, this.driverId);
      return true;
    } catch (err) {
      this.refuse(err as Error);
      return false;
    }
  }

  /** Stops serving: no accepts, every connection and UDP socket closed with `err`. */
  private refuse(err: Error): void {
    this.refused = err;
    process.emitWarning(err);
    for (const l of this.listeners) {
      l.closing = true;
      if (l.acceptArmed) this.ring.cancel(OP_ACCEPT, l.index, NO_SLOT);
    }
    for (const conn of this.slots) conn?.destroy(err);
    for (const s of this.udp) s.close();
    this.ring.flush();
  }

  /** A handler threw: only its connection closes; without close() to see it, warn. */
  private handlerThrew(conn: Connection, err: unknown, where: string): void {
    const e = err instanceof Error ? err : new Error(String(err));
    if (conn.listener.handler.close === undefined) {
      process.emitWarning(`gatio: driver ${this.driverId} port ${conn.localPort}: handler ${where}() threw (${e.message}); connection ${conn.id} closed`, 'GatioWarning');
    }
    conn.destroy(e);
  }

  private onTick(): void {
    if (!this.credentialsOk()) return;
    const now = performance.now();
    for (const conn of this.slots) {
      if (conn === undefined || conn.state !== 'open') continue;
      const idle = conn.listener.options.idleTimeoutMs;
      if (idle > 0 && now - conn.lastActive >= idle) conn.destroy(new IdleTimeoutError(idle));
    }
  }

  /** @internal */
  markDirty(conn: Connection): void {
    if (conn.dirty) return;
    conn.dirty = true;
    this.dirty.push(conn);
    this.scheduleFlush();
  }

  /** Outside a batch (timers, promises, resume()), what a turn queued is flushed on a microtask. */
  private scheduleFlush(): void {
    if (!this.inBatch && !this.flushScheduled) {
      this.flushScheduled = true;
      queueMicrotask(this.flushBound);
    }
  }

  /**
   * Sends what each dirty connection queued, one send per connection (coalesced): the bytes of
   * a send block are listed and queued together (one native call), others are sent on their own.
   */
  /** @internal */
  flush(): void {
    const dirty = this.dirty;
    this.dirty = [];
    for (const conn of dirty) {
      conn.dirty = false;
      if (conn.state === 'closing' || conn.state === 'closed') continue;
      if (conn.inflight !== null) {
        this.waitForSends(); // its completion re-marks it dirty
        continue;
      }
      if (conn.queue.length > 0) {
        const chunk = conn.queue.length === 1 ? conn.queue[0] : concatQueue(conn.queue);
        conn.queue = [];
        this.sendNow(conn, chunk, chunk.byteLength);
      } else if (conn.outLen > 0) {
        const out = conn.out as Buffer;
        const len = conn.outLen;
        const block = conn.outBlock;
        conn.out = null;
        conn.outLen = 0;
        conn.outBlock = -1;
        if (block < 0) {
          this.sendNow(conn, out, len);
          continue;
        }
        conn.inflight = out;
        conn.inflightLen = len;
        conn.inflightOffset = 0;
        conn.inflightBlock = block;
        if (!this.blocks.list(conn.fd, conn.reqId, block, len)) {
          this.submitSends();
          this.blocks.list(conn.fd, conn.reqId, block, len);
        }
      } else if (conn.shutdownPending) {
        conn.shutdownPending = false;
        this.shutdown(conn, SHUT_WR);
      }
    }
    this.submitSends();
    const rearm = this.rearm;
    this.rearm = [];
    for (const conn of rearm) if (conn.state === 'open' && !conn.recvArmed && conn.reading) this.armRecv(conn);
    if (this.udpDirty.length > 0) {
      const udp = this.udpDirty;
      this.udpDirty = [];
      for (const s of udp) s.flush();
    }
    if (this.udpRearm.length > 0) {
      // After -ENOBUFS: the batch's buffers go back before the submit that carries the re-arm.
      const udp = this.udpRearm;
      this.udpRearm = [];
      for (const s of udp) s.armRecv();
    }
  }

  /** Sends bytes[0, length) on their own (not from a send block). */
  private sendNow(conn: Connection, bytes: Uint8Array, length: number): void {
    conn.inflight = bytes;
    conn.inflightLen = length;
    conn.inflightOffset = 0;
    const r = this.ring.send(conn.fd, conn.reqId, bytes, 0, length);
    if (r < 0) {
      conn.inflight = null;
      conn.destroy(new ConnectionError(`send could not be queued: ${errnoName(-r)}`, -r, 'send'));
    }
  }

  /** Queues the listed block sends; a connection whose send could not be queued is destroyed. */
  private submitSends(): void {
    const n = this.blocks.pending;
    if (n === 0) return;
    const r = this.blocks.submit();
    for (let i = Math.max(r, 0); i < n; i++) {
      const conn = this.byRequest(this.blocks.idAt(i));
      if (conn === undefined || conn.inflightBlock < 0) continue;
      this.sendDone(conn);
      const errno = r < 0 ? -r : E.EBUSY;
      conn.destroy(new ConnectionError(`send could not be queued: ${errnoName(errno)}`, errno, 'send'));
    }
  }

  /** @internal */
  cancelRecv(conn: Connection): void {
    if (conn.recvArmed) this.ring.cancel(OP_RECV, conn.reqId, NO_SLOT);
  }

  /** @internal */
  shutdown(conn: Connection, how: number): void {
    conn.shutdownSent = true;
    this.ring.shutdown(conn.fd, conn.reqId, how);
  }

  /** @internal Closes the fd once none of the connection's requests is outstanding. */
  maybeClose(conn: Connection): void {
    if (conn.state === 'open' || conn.state === 'closed') return;
    if (conn.inflight !== null) this.waitForSends();
    if (conn.recvArmed || conn.inflight !== null || conn.shutdownSent) return;
    if (conn.state === 'ending' && (conn.hasPending || conn.shutdownPending)) return;
    conn.state = 'closed';
    this.ring.close(conn.fd, conn.reqId);
  }

  /** Graceful: stop accepting, end every connection, wait for them (destroying after `graceMs`). */
  close(graceMs = 5000): Promise<void> {
    return closeDriver(this, graceMs);
  }

  /** Closes the ring and every socket now. */
  destroy(): void {
    this.ring.destroy();
  }
}
