/**
 * One accepted TCP connection on a driver. Only the driver thread that accepted it may use it.
 *
 * Lifecycle of its io_uring requests (see docs/net.md):
 *   open     multishot recv armed (re-armed after -ENOBUFS once buffers are back)
 *   ending   end(): queued writes flush, then SHUTDOWN(SHUT_WR) (the peer sees FIN) and the recv
 *            is cancelled; data still arriving is dropped
 *   closing  destroy() or an error: writes dropped, recv cancelled, SHUTDOWN(SHUT_RDWR)
 *   closed   once the recv's last CQE, the in-flight send and the shutdown are all back, the fd
 *            is closed through the ring and handler.close(conn, err) runs; the slot is reused
 */
import { Buffer } from 'node:buffer'; // a module binding: the global is an accessor
import type { DriverNet, Listener } from './driver-net';
import { BLOCK_SIZE } from './send-blocks';
import { SendQueueOverflowError } from './errors';
import { ownSendMemory, releaseSendMemory } from './send-memory';

/** Chunks up to this size are copied by write(); larger ones are sent from place. */
export const COPY_LIMIT = 65536;

export type State = 'open' | 'ending' | 'closing' | 'closed';

export class Connection {
  /** Unique per driver. */
  readonly id: number;
  /** The driver (id) serving this connection. */
  readonly driver: number;
  /** Called once the queued bytes fall back under highWaterMark after write() returned false. */
  onDrain: ((conn: Connection) => void) | null = null;
  /** Free for the handler's per-connection state. */
  data: unknown = undefined;

  /** @internal */ state: State = 'open';
  /** @internal */ recvArmed = false;
  /** @internal Chunks waiting behind a large write, in order (while non-empty, `out` is empty). */
  queue: Uint8Array[] = [];
  /** @internal Bytes written and not yet sent. */
  queued = 0;
  /** @internal Small writes copied so far this turn: a send block, or a Buffer once past one. */
  out: Buffer | null = null;
  /** @internal */ outLen = 0;
  /** @internal The send block `out` is, or -1. */
  outBlock = -1;
  /** @internal The bytes of the send in flight: inflight[0, inflightLen), sent up to inflightOffset. */
  inflight: Uint8Array | null = null;
  /** @internal */ inflightLen = 0;
  /** @internal */ inflightOffset = 0;
  /** @internal The send block `inflight` is, or -1: released when the send completes. */
  inflightBlock = -1;
  /** @internal */ shutdownPending = false;
  /** @internal */ shutdownSent = false;
  /** @internal */ needDrain = false;
  /** @internal */ dirty = false;
  /** @internal */ lastActive = 0;
  /** @internal */ error: Error | undefined = undefined;
  /** @internal pause() was called and resume() not yet. */
  paused = false;
  /** @internal Bytes received while paused (copies), delivered in order by resume(). */
  held: Buffer[] = [];
  /** @internal The peer's EOF came while paused or behind held bytes. */
  heldEof = false;
  /** @internal handler.end(conn) returned a promise not settled yet: the runtime ends after it. */
  endHookPending = false;
  /** @internal Where this connection's receives are copied for data() (received.ts). */
  recvArea: ArrayBuffer | null = null;
  private peer: [string, number] | null = null;

  /** @internal */
  constructor(
    private readonly net: DriverNet,
    readonly listener: Listener,
    /** @internal */ readonly slot: number,
    /** @internal The id its io_uring requests carry: slot and generation (driver-net.ts). */
    readonly reqId: number,
    /** @internal */ readonly fd: number,
    id: number,
  ) {
    this.id = id;
    this.driver = net.driverId;
  }

  /** The peer's address (getpeername, read on first use). */
  get remoteAddress(): string {
    return this.peerName()[0];
  }

  get remotePort(): number {
    return this.peerName()[1];
  }

  /** The local port of the listener that accepted it. */
  get localPort(): number {
    return this.listener.boundPort;
  }

  get writableLength(): number {
    return this.queued;
  }

  get closed(): boolean {
    return this.state === 'closed';
  }

  /**
   * Queues bytes; they go out as one send per connection at the end of this turn. Returns false
   * once highWaterMark bytes are queued (pause reading until the drain callback follows); past
   * maxQueuedSendBytes the connection is destroyed with SendQueueOverflowError.
   * Chunks up to COPY_LIMIT (64 KiB) are copied at once, so the caller may reuse its buffer
   * right after the call. Larger ones are sent from place: do not modify them afterwards.
   */
  write(bytes: Uint8Array | string): boolean {
    if (this.state !== 'open') return false;
    const chunk: Uint8Array = typeof bytes === 'string' ? Buffer.from(bytes) : bytes;
    const n = chunk.byteLength;
    if (n === 0) return this.queued < this.listener.options.highWaterMark;
    if (n <= COPY_LIMIT && this.queue.length === 0) this.append(chunk, n);
    else this.enqueue(chunk, n);
    this.queued += n;
    this.net.markDirty(this);
    if (this.queued >= this.listener.options.highWaterMark) {
      // Checked only past highWaterMark (config keeps maxQueuedSendBytes >= it): no cost per write.
      if (this.queued > this.listener.options.maxQueuedSendBytes) {
        this.overflow();
        return false;
      }
      this.needDrain = true;
      this.net.waitForSends(); // the drain comes with a send completion
      return false;
    }
    return true;
  }

  /** Too much written and not sent (the peer does not read): close, counted in the metrics. */
  private overflow(): void {
    this.net.sendOverflows++;
    this.destroy(new SendQueueOverflowError(this.queued, this.listener.options.maxQueuedSendBytes));
  }

  /** Copies a small chunk after the bytes written so far this turn. */
  private append(chunk: Uint8Array, n: number): void {
    let out = this.out;
    if (out === null) {
      if (n <= BLOCK_SIZE) {
        this.outBlock = this.net.blocks.alloc();
        out = this.net.blocks.views[this.outBlock];
      } else {
        out = Buffer.allocUnsafeSlow(2 * n);
      }
      this.out = out;
    } else if (this.outLen + n > out.length) {
      // Past the block (or buffer): move to a Buffer twice as large, giving the block back (or
      // freeing the old buffer now rather than at the next garbage collection: send-memory.ts).
      const grown = Buffer.allocUnsafeSlow(Math.max(2 * out.length, this.outLen + n));
      out.copy(grown, 0, 0, this.outLen);
      if (this.outBlock >= 0) {
        this.net.blocks.release(this.outBlock);
        this.outBlock = -1;
      } else {
        releaseSendMemory(out);
      }
      ownSendMemory(grown);
      out = this.out = grown;
    }
    out.set(chunk, this.outLen);
    this.outLen += n;
  }

  /** A large chunk (or any chunk behind one) goes to the queue, after the copied bytes. */
  private enqueue(chunk: Uint8Array, n: number): void {
    if (this.outLen > 0) this.queue.push(this.takeOut());
    // Uint8Array#slice copies (Buffer#slice would only make a view). A larger chunk is the
    // caller's own memory: no receive buffer of any port is ever handed out (received.ts).
    if (n <= COPY_LIMIT) chunk = Uint8Array.prototype.slice.call(chunk);
    this.queue.push(chunk);
  }

  /** The copied bytes as a chunk of their own, leaving `out` empty (and its block released). */
  private takeOut(): Uint8Array {
    const out = this.out as Buffer;
    let bytes: Uint8Array = out.subarray(0, this.outLen);
    if (this.outBlock >= 0) {
      bytes = Buffer.from(bytes);
      this.net.blocks.release(this.outBlock);
    }
    this.out = null;
    this.outLen = 0;
    this.outBlock = -1;
    return bytes;
  }

  /** @internal Drops unsent bytes (destroy). The send in flight keeps its block until it ends. */
  dropPending(): void {
    for (const chunk of this.queue) releaseSendMemory(chunk); // only the large ones this driver made
    this.queue = [];
    this.queued = 0;
    if (this.outBlock >= 0) this.net.blocks.release(this.outBlock);
    else releaseSendMemory(this.out);
    this.out = null;
    this.outLen = 0;
    this.outBlock = -1;
  }

  /** @internal Bytes waiting for a send (not counting the one in flight). */
  get hasPending(): boolean {
    return this.outLen > 0 || this.queue.length > 0;
  }

  /**
   * Stops data() for this connection until resume(): the armed receive is cancelled, so the kernel
   * stops taking the peer's bytes once the socket's receive buffer is full, and the peer's writes
   * block (TCP backpressure). Bytes that were already on their way are kept and come first after
   * resume(), as does the peer's EOF.
   */
  pause(): void {
    if (this.state !== 'open' || this.paused) return;
    this.paused = true;
    this.net.cancelRecv(this);
  }

  /** Delivers what was held (on a later microtask, in order), then receives again. */
  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    if (this.state === 'open') this.net.resumeRecv(this);
  }

  get isPaused(): boolean {
    return this.paused;
  }

  /** @internal Whether a receive may be armed: not paused, and nothing held waits for delivery. */
  get reading(): boolean {
    return !this.paused && this.held.length === 0 && !this.heldEof;
  }

  /** Flushes queued writes, then sends FIN and closes. The optional bytes are written first. */
  end(bytes?: Uint8Array | string): void {
    if (bytes !== undefined) this.write(bytes);
    if (this.state !== 'open') return;
    this.state = 'ending';
    this.net.cancelRecv(this);
    this.shutdownPending = true;
    this.net.markDirty(this);
  }

  /** Closes now: queued writes are dropped. `err` reaches handler.close. */
  destroy(err?: Error): void {
    if (this.state === 'closing' || this.state === 'closed') return;
    if (err !== undefined && this.error === undefined) this.error = err;
    this.state = 'closing';
    this.dropPending();
    this.held = [];
    this.net.cancelRecv(this);
    this.net.shutdown(this, 2);
    this.net.maybeClose(this);
  }

  private peerName(): [string, number] {
    if (this.peer === null) {
      const r = this.net.ring.peerName(this.fd);
      this.peer = typeof r === 'number' ? ['', 0] : r;
    }
    return this.peer;
  }
}
