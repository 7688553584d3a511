/**
 * One driver's socket of a `transport: 'udp'` port: its own SO_REUSEPORT socket, one multishot
 * recvmsg over its own provided buffer ring, and sends batched per loop turn.
 *
 * Thread: only the driver thread that bound it (its DriverNet's ring is SINGLE_ISSUER).
 *
 * Receive: each buffer holds [io_uring_recvmsg_out 16 B][sockaddr 28 B][payload]; the header and
 * address are parsed in place, the payload is copied into the socket's own receive area
 * (received.ts) and handler.message(socket, bytes, remote) gets a Buffer over that copy, valid only
 * during the call (the next datagram overwrites it). The recvmsg is armed once the driver serves
 * (the main thread's 'go'). A datagram with MSG_TRUNC set did not fit
 * (bufferSize - 44 bytes): handler.error gets DatagramTruncatedError, message() is not called.
 * Lifecycle of the recvmsg: armed -> ended (CQE without F_MORE: -ENOBUFS when the ring ran dry,
 * or an error) -> re-armed after the batch returned its buffers; or cancelled by close() ->
 * final CQE -> fd closed through the ring -> handler.close(socket).
 *
 * Send: send() appends a record (send-batch.h layout) to a staging buffer; at the end of the turn
 * the socket's new records go to the kernel as one batch (one native call, one SENDMSG per
 * datagram, one completion event per batch). A staging buffer is reused once none of its batches
 * is in flight; a turn that outgrows it moves on to another (at most MAX_STAGING per socket).
 */
import { Buffer } from 'node:buffer'; // a module binding: the global is an accessor
import * as os from 'node:os';
import { CQE_BUFFER_SHIFT, CQE_F_BUFFER, CQE_F_MORE, OP_RECVMSG, RECVMSG_OUT_SIZE, SEND_RECORD_HEADER, SocketError, errnoName, type Uring } from '@gatio/native';
import type { NormalizedUdpPort, PortReport } from './config';
import { DatagramSendError, DatagramTruncatedError } from './errors';
import { AF_INET6, formatV4, formatV6, parseAddress, type UdpRemote } from './udp-address';
import { receivedDatagram } from './received';

export type { UdpRemote } from './udp-address';

export interface UdpHandler {
  open?(socket: UdpSocket): void;
  /** `bytes`: a Buffer over the socket's own copy of the datagram, valid only during the call:
   * `Buffer.from(bytes)` to keep it. */
  message(socket: UdpSocket, bytes: Buffer, remote: UdpRemote): void;
  close?(socket: UdpSocket): void;
  /** DatagramTruncatedError, DatagramSendError, or what message() threw. */
  error?(socket: UdpSocket, err: Error): void;
}

/** What a UdpSocket needs from its driver (DriverNet): the ring and the end-of-turn flush. */
export interface UdpHost {
  readonly ring: Uring;
  readonly driverId: number;
  markUdpDirty(socket: UdpSocket): void;
  udpClosed(socket: UdpSocket): void;
}

const E = os.constants.errno;
const MSG_TRUNC = 0x20;
const NAME_LEN = 28; // sizeof(sockaddr_in6): room for either family
const PAYLOAD_OFFSET = RECVMSG_OUT_SIZE + NAME_LEN;
const STAGING_SIZE = 256 * 1024;
const MAX_STAGING = 64;
/** UDP over IPv6 carries up to 65,527 payload bytes (IPv4: 65,507; the kernel says EMSGSIZE). */
const MAX_DATAGRAM = 65527;
/** Buffer groups of UDP sockets start here, apart from TCP listeners' (0..). */
export const UDP_BGID_BASE = 512;
/** A send batch's tag: socket index << 10 | staging index. */
export const STAGING_BITS = 10;

class Staging {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  head = 0; // next record goes here
  flushed = 0; // records before this were handed to the kernel
  pending = 0; // batches in flight
  constructor(size: number) {
    this.bytes = new Uint8Array(size);
    this.view = new DataView(this.bytes.buffer);
  }
}

export class UdpSocket {
  fd = -1;
  boundPort = 0;
  /** Free for the handler's state. */
  data: unknown = undefined;
  readonly stats = { received: 0, sent: 0, sendFailed: 0, sendDropped: 0, truncated: 0, enobufs: 0, rearms: 0 };
  /** @internal */ dirty = false;
  /** @internal */ recvArmed = false;
  /** @internal */ closing = false;
  /** @internal */ closed = false;
  /** @internal Where datagrams are copied for message() (received.ts), and how far the last one reached. */
  recvArea: ArrayBuffer | null = null;
  /** @internal */ recvUsed = 0;
  private readonly memory: ArrayBuffer;
  private readonly mem: Uint8Array;
  private readonly words: Uint32Array;
  private readonly staging: Staging[] = [];
  private cur: Staging;
  private warnedTruncation = false;

  constructor(
    private readonly host: UdpHost,
    readonly index: number,
    readonly spec: NormalizedUdpPort,
    readonly handler: UdpHandler,
    readonly handlerHash: string,
  ) {
    this.memory = new ArrayBuffer(spec.options.bufferSize * spec.options.bufferCount);
    this.mem = new Uint8Array(this.memory);
    this.words = new Uint32Array(this.memory);
    this.cur = new Staging(STAGING_SIZE);
    this.staging.push(this.cur);
  }

  /** The driver (id) this socket belongs to. */
  get driver(): number {
    return this.host.driverId;
  }
  get localAddress(): string {
    return this.spec.host;
  }
  get localPort(): number {
    return this.boundPort;
  }

  /** @internal Binds and registers the buffer ring (the recvmsg is armed by armRecv). Throws SocketError & co. */
  bind(listenError: (host: string, port: number, negErrno: number, stage: string) => Error): void {
    const { ring } = this.host;
    const { host, port, options } = this.spec;
    const r = ring.addBufferGroup(UDP_BGID_BASE + this.index, this.memory, options.bufferSize, options.bufferCount);
    if (r < 0) throw new SocketError(-r, 'io_uring_register(PBUF_RING)', ring.info().fd);
    const [fd, stage, bound] = ring.udpBind(host, port);
    if (fd < 0) throw listenError(host, port, fd, stage);
    this.fd = fd;
    this.boundPort = bound;
  }

  report(): PortReport {
    const { port, host, transport, handler, options } = this.spec;
    return { port, host, transport, handler, handlerHash: this.handlerHash, options: { ...options }, boundPort: this.boundPort };
  }

  /**
   * Queues one datagram to address:port, sent at the end of this turn. `bytes` is copied, so a
   * received view may be echoed directly. Throws RangeError/TypeError on a bad argument; send
   * failures reported by the kernel go to handler.error as DatagramSendError.
   */
  send(bytes: Uint8Array | string, port: number, address: string): void {
    const data = typeof bytes === 'string' ? Buffer.from(bytes) : bytes;
    if (!(data instanceof Uint8Array)) throw new TypeError('socket.send(bytes, port, address): bytes must be a Uint8Array or a string');
    if (!(port > 0 && port <= 65535 && Number.isInteger(port))) {
      throw new RangeError(`socket.send: port must be an integer from 1 to 65535, got ${String(port)}`);
    }
    const dest = parseAddress(address);
    if (dest === null) throw new TypeError(`socket.send: address must be an IPv4 or IPv6 literal, got ${JSON.stringify(address)}`);
    const len = data.byteLength;
    if (len > MAX_DATAGRAM) throw new RangeError(`socket.send: a UDP datagram carries at most ${MAX_DATAGRAM} bytes, got ${len}`);
    if (this.closing) {
      this.stats.sendDropped++;
      return;
    }
    const need = (SEND_RECORD_HEADER + len + 7) & ~7;
    let s = this.cur;
    if (s.head + need > s.bytes.byteLength) {
      const next = this.nextStaging(need);
      if (next === null) {
        // Every staging buffer is still in flight: the kernel is not keeping up. Drop, as a full
        // socket send buffer would, and count it.
        this.stats.sendDropped++;
        return;
      }
      s = next;
    }
    const o = s.head;
    s.view.setUint32(o, len, true);
    s.view.setUint16(o + 4, dest.family, true);
    s.view.setUint16(o + 6, port, true);
    s.bytes.set(dest.bytes, o + 8);
    s.bytes.set(data, o + SEND_RECORD_HEADER);
    s.head = o + need;
    if (!this.dirty) this.host.markUdpDirty(this);
  }

  /** Finds a staging buffer with room for `need` bytes, flushing the current one first. */
  private nextStaging(need: number): Staging | null {
    this.flush();
    let pick = this.staging.find((s) => s.pending === 0 && s.head === s.flushed && s.bytes.byteLength >= need);
    if (pick === undefined) {
      if (this.staging.length >= MAX_STAGING) return null;
      pick = new Staging(Math.max(STAGING_SIZE, need));
      this.staging.push(pick);
    }
    pick.head = pick.flushed = 0;
    this.cur = pick;
    return pick;
  }

  /** @internal Hands this turn's records to the kernel as one batch per staging buffer. */
  flush(): void {
    this.dirty = false;
    const s = this.cur;
    if (s.head === s.flushed || this.fd < 0) return;
    const tag = (this.index << STAGING_BITS) | this.staging.indexOf(s);
    const r = this.host.ring.sendMsgs(this.fd, tag, s.bytes, s.flushed, s.head);
    if (r < 0) {
      this.reportError(new DatagramSendError(1, -r, `datagrams could not be queued for sending: ${errnoName(-r)}`));
    } else {
      s.pending++;
    }
    s.flushed = s.head;
    if (s.pending === 0) s.head = s.flushed = 0;
  }

  /** @internal A batch completed: `sent` datagrams left; `packed` = failed << 16 | first errno. */
  onSendDone(stagingIndex: number, sent: number, packed: number): void {
    const s = this.staging[stagingIndex];
    if (s === undefined) return;
    s.pending--;
    this.stats.sent += sent;
    if (s.pending === 0 && s.head === s.flushed) s.head = s.flushed = 0;
    const failed = packed >>> 16;
    if (failed > 0) {
      this.stats.sendFailed += failed;
      const errno = packed & 0xffff;
      this.reportError(new DatagramSendError(failed, errno, `${failed} datagram(s) could not be sent: ${errnoName(errno)} (errno ${errno})`));
    }
  }

  /** @internal One recvmsg completion. Returns true when the recvmsg must be re-armed after the batch. */
  onRecv(res: number, flags: number): boolean {
    if (res >= 0 && (flags & CQE_F_BUFFER) !== 0 && !this.closing) this.deliver(res, flags >>> CQE_BUFFER_SHIFT);
    if ((flags & CQE_F_MORE) !== 0) return false;
    this.recvArmed = false;
    if (this.closing) {
      this.finishClose();
      return false;
    }
    if (res === -E.ENOBUFS) this.stats.enobufs++;
    else if (res < 0) this.reportError(new SocketError(-res, 'recvmsg', this.fd));
    this.stats.rearms++;
    return true;
  }

  private deliver(res: number, bid: number): void {
    const base = bid * this.spec.options.bufferSize;
    const w = base >>> 2; // bufferSize is a multiple of 8: the header is word aligned
    const payloadLen = this.words[w + 2];
    const msgFlags = this.words[w + 3];
    const mem = this.mem;
    const name = base + RECVMSG_OUT_SIZE;
    const family = mem[name] | (mem[name + 1] << 8);
    const remote: UdpRemote =
      family === AF_INET6
        ? { address: formatV6(mem, name + 8), port: (mem[name + 2] << 8) | mem[name + 3], family: 'IPv6' }
        : { address: formatV4(mem, name + 4), port: (mem[name + 2] << 8) | mem[name + 3], family: 'IPv4' };
    const got = res - PAYLOAD_OFFSET;
    this.stats.received++;
    if ((msgFlags & MSG_TRUNC) !== 0) {
      this.stats.truncated++;
      this.reportError(new DatagramTruncatedError(payloadLen, got, this.spec.options.bufferSize, remote));
      return;
    }
    try {
      this.handler.message(this, receivedDatagram(this, this.memory, base + PAYLOAD_OFFSET, got), remote);
    } catch (err) {
      this.reportError(err as Error);
    }
  }

  /** @internal */
  armRecv(): void {
    if (this.closing || this.recvArmed) return;
    const r = this.host.ring.recvMsg(this.fd, this.index, UDP_BGID_BASE + this.index, NAME_LEN);
    if (r < 0) {
      this.reportError(new SocketError(-r, 'recvmsg (arm)', this.fd));
      return;
    }
    this.recvArmed = true;
  }

  private reportError(err: Error): void {
    if (this.handler.error !== undefined) {
      try {
        this.handler.error(this, err);
      } catch {
        // An error handler that throws has nowhere further to report to.
      }
      return;
    }
    // Never silent: without handler.error, the first error of each kind becomes a process warning.
    if (err instanceof DatagramTruncatedError) {
      if (this.warnedTruncation) return;
      this.warnedTruncation = true;
    }
    process.emitWarning(err.message, { code: (err as { code?: string }).code });
  }

  /** Stops receiving: cancels the recvmsg; its final CQE closes the fd and calls handler.close. */
  close(): void {
    if (this.closing) return;
    this.flush();
    this.closing = true;
    if (this.recvArmed) this.host.ring.cancel(OP_RECVMSG, this.index, 0);
    else this.finishClose();
  }

  private finishClose(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.fd >= 0) this.host.ring.close(this.fd, 0);
    this.fd = -1;
    try {
      this.handler.close?.(this);
    } catch {
      // The socket is gone; an error from its close handler has nowhere left to go.
    }
    this.host.udpClosed(this);
  }
}
