/**
 * A TCP listener of one driver (one SO_REUSEPORT socket, its multishot accept and its provided
 * buffer ring) and the handler API its connections are served with. Driver thread only.
 */
import type { Connection } from './connection';
import type { NormalizedOptions, NormalizedTcpPort, PortReport } from './config';

export interface Handler {
  open?(conn: Connection): void;
  /** `bytes`: a Buffer view of a receive buffer, valid only during the call (`Buffer.from(bytes)` to
   * keep; Buffer#slice and subarray are views). */
  data(conn: Connection, bytes: Buffer): void;
  close?(conn: Connection, err?: Error): void;
  drain?(conn: Connection): void;
  /**
   * The peer half-closed (FIN). The connection ends (queued writes sent, then FIN, then close)
   * once end() returns or, when it returns a promise, once that settles, so replies still being
   * computed can be written first; a rejection closes it like a throw. Without end(), the
   * connection ends at once after the writes queued so far.
   */
  end?(conn: Connection): void | PromiseLike<unknown>;
}

export class Listener {
  fd = -1;
  boundPort = 0;
  acceptArmed = false;
  closing = false;
  connections = 0;
  /** Counters for tests and diagnostics: refused = over maxConnections; enobufs = recvs ended dry. */
  readonly stats = { accepted: 0, refused: 0, enobufs: 0, acceptRearms: 0 };
  readonly memory: ArrayBuffer;
  readonly options: NormalizedOptions;
  constructor(
    readonly index: number,
    readonly spec: NormalizedTcpPort,
    readonly handler: Handler,
    readonly handlerHash: string,
  ) {
    this.options = spec.options;
    this.memory = new ArrayBuffer(spec.options.bufferSize * spec.options.bufferCount);
  }

  report(): PortReport {
    const { port, host, transport, handler, options } = this.spec;
    return { port, host, transport, handler, handlerHash: this.handlerHash, options: { ...options }, boundPort: this.boundPort };
  }
}
