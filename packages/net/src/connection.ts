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
import type { DriverNet, Listener } from './driver-net';

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
  /** @internal */ queue: Uint8Array[] = [];
  /** @internal */ queued = 0;
  /** @internal */ inflight: Uint8Array | null = null;
  /** @internal */ inflightOffset = 0;
  /** @internal */ shutdownPending = false;
  /** @internal */ shutdownSent = false;
  /** @internal */ needDrain = false;
  /** @internal */ dirty = false;
  /** @internal */ lastActive = 0;
  /** @internal */ error: Error | undefined = undefined;
  private peer: [string, number] | null = null;

  /** @internal */
  constructor(
    private readonly net: DriverNet,
    readonly listener: Listener,
    /** @internal */ readonly slot: number,
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
   * once highWaterMark bytes are queued (keep writing if you must; a drain callback follows).
   * Do not modify `bytes` after the call: it is sent from place (views of a receive buffer are
   * copied automatically, since that buffer goes back to the ring).
   */
  write(bytes: Uint8Array | string): boolean {
    if (this.state !== 'open') return false;
    let chunk: Uint8Array = typeof bytes === 'string' ? Buffer.from(bytes) : bytes;
    if (chunk.byteLength === 0) return this.queued < this.listener.options.highWaterMark;
    if (chunk.buffer === this.listener.memory) chunk = chunk.slice();
    this.queue.push(chunk);
    this.queued += chunk.byteLength;
    this.net.markDirty(this);
    if (this.queued >= this.listener.options.highWaterMark) {
      this.needDrain = true;
      return false;
    }
    return true;
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
    this.queue = [];
    this.queued = 0;
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
