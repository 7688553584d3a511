/**
 * The libuv back end (`backend: 'libuv'`, or `fallback: 'libuv'` where io_uring is blocked): the
 * same handler API as driver-net.ts (TCP open/data/close/drain/end with conn.write/end/destroy;
 * UDP open/message/close/error with socket.send) on node:net and node:dgram, inside each driver.
 *
 * Thread: the driver thread that created it. Differences from io_uring, all documented in
 * docs/net.md: `bytes` is a Buffer libuv allocated (the "valid only during data()" rule still
 * holds as the contract); writes go out at once through libuv instead of one coalesced send per
 * turn; and below Node 22.12 (no `reusePort`) one driver per port binds it (the lowest id of the
 * port), the others serve nothing for it.
 */
import * as dgram from 'node:dgram';
import * as net from 'node:net';
import { listenError } from '@gatio/native';
import type { NormalizedOptions, NormalizedTcpPort, NormalizedUdpPort, PortReport } from './config';
import { ConnectionError, DatagramSendError, IdleTimeoutError, SendQueueOverflowError } from './errors';
import { COPY_LIMIT } from './connection';
import type { Handler } from './listener';
import type { UdpHandler } from './udp-socket';

const [major, minor] = process.versions.node.split('.').map(Number);
/** SO_REUSEPORT through node:net / node:dgram arrived in Node 22.12 and 23.1. */
export const HAS_REUSE_PORT = major > 23 || (major === 23 && minor >= 1) || (major === 22 && minor >= 12);

type AnyServer = { close(): void };

const isThenable = (v: unknown): v is PromiseLike<unknown> =>
  typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function';

export class LibuvListener {
  boundPort = 0;
  connections = 0;
  closing = false;
  readonly stats = { accepted: 0, refused: 0, enobufs: 0, acceptRearms: 0, acceptErrors: 0 };
  readonly options: NormalizedOptions;
  server: net.Server | null = null;
  readonly conns = new Set<LibuvConnection>();
  constructor(
    readonly spec: NormalizedTcpPort,
    readonly handler: Handler,
    readonly handlerHash: string,
  ) {
    this.options = spec.options;
  }
}

export class LibuvConnection {
  readonly id: number;
  readonly driver: number;
  onDrain: ((conn: LibuvConnection) => void) | null = null;
  data: unknown = undefined;
  /** @internal */ error: Error | undefined = undefined;
  /** @internal handler.end(conn) returned a promise not settled yet (see driver-net.ts peerEnded). */
  endHookPending = false;
  private needDrain = false;
  constructor(
    private readonly owner: LibuvNet,
    readonly listener: LibuvListener,
    private readonly socket: net.Socket,
    id: number,
  ) {
    this.id = id;
    this.driver = owner.driverId;
  }
  get remoteAddress(): string {
    return this.socket.remoteAddress ?? '';
  }
  get remotePort(): number {
    return this.socket.remotePort ?? 0;
  }
  get localPort(): number {
    return this.listener.boundPort;
  }
  get writableLength(): number {
    return this.socket.writableLength;
  }
  get closed(): boolean {
    return this.socket.destroyed;
  }
  write(bytes: Uint8Array | string): boolean {
    if (!this.socket.writable) return false;
    // Same contract as the io_uring back end: chunks up to COPY_LIMIT are copied at once (node:net
    // would keep a reference until the bytes are out).
    this.socket.write(typeof bytes !== 'string' && bytes.byteLength <= COPY_LIMIT ? Buffer.from(bytes) : bytes);
    const queued = this.socket.writableLength;
    if (queued >= this.listener.options.highWaterMark) {
      const max = this.listener.options.maxQueuedSendBytes;
      if (queued > max) {
        // As Connection#write: a peer that does not read cannot grow the server without bound.
        this.owner.sendOverflows++;
        this.destroy(new SendQueueOverflowError(queued, max));
        return false;
      }
      this.needDrain = true;
      return false;
    }
    return true;
  }
  end(bytes?: Uint8Array | string): void {
    if (bytes !== undefined) this.write(bytes);
    if (this.socket.writable) this.socket.end();
  }
  /** As Connection#pause: node:net stops reading the socket (and buffers what it had read). */
  pause(): void {
    this.socket.pause();
  }
  resume(): void {
    this.socket.resume();
  }
  get isPaused(): boolean {
    return this.socket.isPaused();
  }
  destroy(err?: Error): void {
    if (err !== undefined && this.error === undefined) this.error = err;
    this.socket.destroy();
  }
  /** @internal */
  drained(): void {
    if (!this.needDrain || this.socket.writableLength >= this.listener.options.highWaterMark) return;
    this.needDrain = false;
    if (this.onDrain !== null) this.onDrain(this);
    else this.listener.handler.drain?.(this as never);
  }
}

export class LibuvUdpSocket {
  readonly stats = { received: 0, sent: 0, sendFailed: 0, sendDropped: 0, truncated: 0, enobufs: 0, rearms: 0 };
  data: unknown = undefined;
  localPort = 0;
  constructor(
    readonly driver: number,
    readonly spec: NormalizedUdpPort,
    readonly handler: UdpHandler,
    readonly handlerHash: string,
    readonly socket: dgram.Socket | null,
  ) {}
  get localAddress(): string {
    return this.spec.host;
  }
  send(bytes: Uint8Array | string, port: number, address: string): void {
    const s = this.socket;
    if (s === null) return;
    const b = typeof bytes === 'string' ? Buffer.from(bytes) : Buffer.from(bytes); // copied: the view may be reused
    if (b.length > 65527) throw new RangeError(`a datagram of ${b.length} bytes is over 65,527`);
    s.send(b, port, address, (err) => {
      if (err === null || err === undefined) return void this.stats.sent++;
      this.stats.sendFailed++;
      const e = err as NodeJS.ErrnoException;
      const failure = new DatagramSendError(1, -(e.errno ?? 0), `sendmsg failed: ${e.code ?? e.message}`);
      this.fail(failure);
    });
  }
  /** @internal */
  fail(err: Error): void {
    if (this.handler.error !== undefined) this.handler.error(this as never, err);
    else process.emitWarning(err);
  }
}

/** A driver's ports on node:net / node:dgram. */
export class LibuvNet {
  readonly listeners: LibuvListener[] = [];
  readonly udp: LibuvUdpSocket[] = [];
  readonly counters = { batches: 0, cqes: 0, bytesIn: 0, bytesOut: 0 };
  /** Connections closed for going over maxQueuedSendBytes (a metric). */
  sendOverflows = 0;
  private nextId = 1;
  private readonly servers: AnyServer[] = [];
  /** Until serve() (the main thread's 'go'): connections libuv accepted wait here, unserved. */
  private serving = false;
  private early: Array<[LibuvListener, net.Socket]> = [];
  constructor(readonly driverId: number) {}

  get connections(): number {
    return this.listeners.reduce((n, l) => n + l.connections, 0);
  }

  /** Binds (on the first driver of the port only, below Node 22.12) and serves. */
  async listen(spec: NormalizedTcpPort, handler: Handler, hash: string): Promise<PortReport> {
    const l = new LibuvListener(spec, handler, hash);
    this.listeners.push(l);
    if (HAS_REUSE_PORT || spec.drivers[0] === this.driverId) {
      const o = spec.options;
      const server = net.createServer({ allowHalfOpen: true, highWaterMark: o.highWaterMark, noDelay: true }, (s) => {
        if (this.serving) this.accept(l, s);
        else this.early.push([l, s]);
      });
      server.maxConnections = Infinity;
      await new Promise<void>((resolve, reject) => {
        server.once('error', (e: NodeJS.ErrnoException) => reject(listenError(spec.host, spec.port, e.errno ?? -1, 'bind')));
        server.listen({ port: spec.port, host: spec.host, backlog: o.backlog, ...(HAS_REUSE_PORT ? { reusePort: true } : {}) }, resolve);
      });
      l.server = server;
      l.boundPort = (server.address() as net.AddressInfo).port;
      this.servers.push(server);
    }
    return { port: spec.port, host: spec.host, transport: 'tcp', handler: spec.handler, handlerHash: hash, options: { ...spec.options }, boundPort: l.boundPort };
  }

  /** Serves the connections that waited, and from now on every new one and every datagram. */
  serve(): void {
    this.serving = true;
    const early = this.early;
    this.early = [];
    for (const [l, s] of early) this.accept(l, s);
  }

  private accept(l: LibuvListener, s: net.Socket): void {
    if (l.closing || l.connections >= l.options.maxConnections) {
      l.stats.refused++;
      s.destroy();
      return;
    }
    l.stats.accepted++;
    l.connections++;
    const conn = new LibuvConnection(this, l, s, this.nextId++);
    l.conns.add(conn);
    const h = l.handler;
    const threw = (err: unknown) => {
      if (h.close === undefined) process.emitWarning(`gatio: driver ${this.driverId} port ${l.boundPort}: handler threw (${(err as Error).message}); connection ${conn.id} closed`, 'GatioWarning');
      conn.destroy(err as Error);
    };
    const c = conn as never;
    if (l.options.idleTimeoutMs > 0) {
      s.setTimeout(l.options.idleTimeoutMs, () => conn.destroy(new IdleTimeoutError(l.options.idleTimeoutMs)));
    }
    s.on('data', (bytes: Buffer) => {
      this.counters.bytesIn += bytes.length;
      try {
        h.data(c, bytes);
      } catch (err) {
        threw(err);
      }
    });
    s.on('drain', () => {
      try {
        conn.drained();
      } catch (err) {
        threw(err);
      }
    });
    s.on('end', () => {
      // As driver-net.ts peerEnded: end once handler.end returned or its promise settled.
      if (h.end === undefined) return conn.end();
      let r: unknown;
      try {
        r = h.end(c);
      } catch (err) {
        return threw(err);
      }
      if (!isThenable(r)) return conn.end();
      conn.endHookPending = true;
      const settled = (err: unknown) => {
        conn.endHookPending = false;
        if (conn.closed || !s.writable) return; // ended by the handler or destroyed meanwhile
        if (err !== undefined) threw(err);
        else conn.end();
      };
      r.then(
        () => settled(undefined),
        (err: unknown) => settled(err ?? new Error('end() rejected')),
      );
    });
    s.on('error', (e: NodeJS.ErrnoException) => {
      conn.error ??= new ConnectionError(`${e.syscall ?? 'recv'} failed: ${e.code ?? e.message} (peer reset?)`, -(e.errno ?? 0), e.syscall ?? 'recv');
    });
    s.on('close', () => {
      this.counters.bytesOut += s.bytesWritten;
      l.connections--;
      l.conns.delete(conn);
      try {
        h.close?.(c, conn.error);
      } catch {
        // The connection is gone; an error from its close handler has nowhere left to go.
      }
    });
    try {
      h.open?.(c);
    } catch (err) {
      threw(err);
    }
  }

  async bindUdp(spec: NormalizedUdpPort, handler: UdpHandler, hash: string): Promise<PortReport> {
    let socket: dgram.Socket | null = null;
    let boundPort = 0;
    if (HAS_REUSE_PORT || spec.drivers[0] === this.driverId) {
      const v6 = spec.host.includes(':');
      const s = dgram.createSocket({ type: v6 ? 'udp6' : 'udp4', ipv6Only: v6, ...(HAS_REUSE_PORT ? { reusePort: true } : {}) } as dgram.SocketOptions);
      await new Promise<void>((resolve, reject) => {
        const reject2 = (e: NodeJS.ErrnoException) => reject(listenError(spec.host, spec.port, e.errno ?? -1, 'bind'));
        s.once('error', reject2);
        s.bind(spec.port, spec.host, () => {
          s.off('error', reject2);
          resolve();
        });
      });
      socket = s;
      boundPort = s.address().port;
      this.servers.push(s);
    }
    const u = new LibuvUdpSocket(this.driverId, spec, handler, hash, socket);
    u.localPort = boundPort;
    this.udp.push(u);
    socket?.on('message', (bytes, rinfo) => {
      if (!this.serving) return; // before 'go': as if not yet receiving
      u.stats.received++;
      this.counters.bytesIn += bytes.length;
      try {
        handler.message(u as never, bytes, { address: rinfo.address, port: rinfo.port, family: rinfo.family as 'IPv4' | 'IPv6' });
      } catch (err) {
        u.fail(err as Error);
      }
    });
    socket?.on('error', (err) => u.fail(err));
    socket?.on('close', () => handler.close?.(u as never));
    return { port: spec.port, host: spec.host, transport: 'udp', handler: spec.handler, handlerHash: hash, options: { ...spec.options }, boundPort };
  }

  /** Stop accepting, end every connection, wait for them (destroying after `graceMs`). */
  async close(graceMs = 5000): Promise<void> {
    for (const l of this.listeners) l.closing = true;
    for (const s of this.servers) s.close();
    const conns = this.listeners.flatMap((l) => [...l.conns]);
    for (const c of conns) if (!c.endHookPending) c.end(); // those end when their end() settles
    const deadline = Date.now() + graceMs;
    while (this.connections > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    this.destroy();
  }

  destroy(): void {
    for (const [, s] of this.early) s.destroy();
    this.early = [];
    for (const l of this.listeners) for (const c of l.conns) c.destroy();
    for (const s of this.servers) {
      try {
        s.close();
      } catch {
        // already closed
      }
    }
  }
}
