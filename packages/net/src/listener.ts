/**
 * A TCP listener of one driver (one SO_REUSEPORT socket, its multishot accept and its provided
 * buffer ring) and the handler API its connections are served with. Driver thread only.
 */
import type { Connection } from './connection';
import type { NormalizedOptions, NormalizedTcpPort, PortReport } from './config';

export interface Handler {
  open?(conn: Connection): void;
  /** `bytes`: a Buffer over this connection's own copy of what it just received, valid only during
   * the call (`Buffer.from(bytes)` to keep; Buffer#slice and subarray are views). */
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

/** The first re-arm after a failed accept waits this long; each further failure doubles it. */
export const ACCEPT_RETRY_FIRST_MS = 1;
/** ... up to this. Descriptors exhausted (EMFILE, ENFILE, ENOMEM) wait at least 50 ms. */
export const ACCEPT_RETRY_MAX_MS = 1000;
export const ACCEPT_RETRY_EXHAUSTED_MS = 50;

export class Listener {
  fd = -1;
  boundPort = 0;
  acceptArmed = false;
  closing = false;
  connections = 0;
  /** Accepts that failed in a row (reset by the next accepted connection): the back-off exponent. */
  acceptFailures = 0;
  /** The timer of a pending re-arm after a failure, if any. */
  retryTimer: NodeJS.Timeout | null = null;
  /**
   * Counters for tests and diagnostics: refused = over maxConnections; enobufs = recvs ended dry;
   * acceptErrors = accept completions with an error other than a cancel (each re-armed after a
   * back-off).
   */
  readonly stats = { accepted: 0, refused: 0, enobufs: 0, acceptRearms: 0, acceptErrors: 0 };
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

  /**
   * How long to wait before re-arming after the `acceptFailures`-th failure in a row: bounded
   * exponential, so an error that repeats at once (a listening socket shut down under us) costs
   * a few re-arms per second instead of a core.
   */
  retryDelayMs(exhausted: boolean): number {
    const exp = Math.min(this.acceptFailures - 1, 20);
    const delay = Math.min(ACCEPT_RETRY_MAX_MS, ACCEPT_RETRY_FIRST_MS * 2 ** exp);
    return exhausted ? Math.max(delay, ACCEPT_RETRY_EXHAUSTED_MS) : delay;
  }

  report(): PortReport {
    const { port, host, transport, handler, options } = this.spec;
    return { port, host, transport, handler, handlerHash: this.handlerHash, options: { ...options }, boundPort: this.boundPort };
  }
}
