// Typed wrapper of the native `Uring` (native/src/uring/uring-object.h): one io_uring per driver
// thread, created and used only on that thread. Methods prepare SQEs and return 0 or -errno;
// SQEs are submitted once per turn (after the batch callback, or before the loop blocks).
//
// Completions arrive in batches: onEvents(count) is called once per batch and reads `events`,
// an Int32Array of [op, id, res, flags] records (EVENT_STRIDE int32 each).
//
// The boundary: the methods are the native object's own, checked in C++ (they are on the hot
// path, so nothing is checked twice): a wrong type is an InvalidArgError (a TypeError), a wrong
// value an OutOfRangeError (a RangeError), both naming the argument; an fd the ring did not open
// or accept is a FdNotOwnedError. After destroy() every method returns -EBADF. createUring, cold,
// is checked here with the same classes.
import { binding, call } from './binding';
import { InvalidArgError, IoUringUnavailableError, OutOfRangeError } from './errors';
import { errnoName } from './net-errors';
import { describe } from './validate';
import { ioUringProbe } from './probe';

export const OP_ACCEPT = 1;
export const OP_RECV = 2;
export const OP_SEND = 3;
export const OP_CLOSE = 4;
export const OP_CANCEL = 5;
export const OP_TIMEOUT = 6;
export const OP_SHUTDOWN = 7;
/** Multishot recvmsg (UDP): one event per datagram, buffer id in flags >>> 16. */
export const OP_RECVMSG = 8;
/** One event per sendMsgs() batch: res = datagrams sent, flags = failed << 16 | first errno. */
export const OP_SENDMSG = 9;
/** io_uring_recvmsg_out: namelen, controllen, payloadlen, flags (u32 each) before the name. */
export const RECVMSG_OUT_SIZE = 16;
/** Bytes per sendMsgs() record header: len u32, family u16, port u16, 16 address bytes. */
export const SEND_RECORD_HEADER = 24;
export const EVENT_STRIDE = 4;
/** Int32s per record of the table `sendQueued` reads: fd, id, slab, offset, length. */
export const SEND_RECORD_INTS = 5;

/** IORING_CQE_F_BUFFER: the CQE consumed a provided buffer, id in flags >>> 16. */
export const CQE_F_BUFFER = 1;
/** IORING_CQE_F_MORE: the multishot request stays armed; without it, it ended. */
export const CQE_F_MORE = 2;
export const CQE_BUFFER_SHIFT = 16;

export const SHUT_RD = 0;
export const SHUT_WR = 1;
export const SHUT_RDWR = 2;

export interface UringInfo {
  fd: number;
  sqEntries: number;
  cqEntries: number;
  batches: number;
  completions: number;
  submits: number;
  /** Pump rounds that found completions waiting in the kernel because the CQ was full. */
  cqOverflows: number;
  lastSubmitErrno: number;
  /** Requests queued or in the kernel whose final completion was not reaped yet. */
  inFlight: number;
}

/**
 * The native object. Every id is a uint32 chosen by the caller (any value: ids from 2^20 up are
 * kept in a map, dropped when their request ends). Methods taking an fd accept only sockets this
 * ring opened (listen, udpBind) or accepted, and not yet closed.
 */
export interface Uring {
  /** Over a SharedArrayBuffer, like `control`: it cannot be detached under the native side. */
  readonly events: Int32Array;
  /**
   * control[0]: set to non-zero while JS waits for a send to complete. Until then a send that
   * completed in full is held back natively and reported in front of the next batch that has
   * other events (it only frees a buffer), which saves a call into JS per loop turn.
   * control[1]: bytes of the send completions held back that way.
   */
  readonly control: Int32Array;
  addBufferGroup(bgid: number, memory: ArrayBuffer, size: number, count: number): number;
  /** [fd or -errno, failing syscall, bound port] */
  listen(host: string, port: number, backlog: number): [number, string, number];
  accept(listenFd: number, id: number): number;
  recv(fd: number, id: number, bgid: number): number;
  /** `bytes` must stay referenced until the send's completion. */
  send(fd: number, id: number, bytes: Uint8Array, offset: number, length: number): number;
  /** Registers send slab `index` (appended in order, 0 first); referenced until destroy(). */
  addSendSlab(index: number, memory: ArrayBuffer): number;
  /**
   * The table sendQueued reads: SEND_RECORD_INTS ints per send (fd, id, slab, offset, length).
   * Must be backed by a SharedArrayBuffer, which cannot be detached while the ring reads it.
   */
  setSendTable(table: Int32Array): void;
  /** Queues records 0..count-1 as SEND requests: how many were queued (fewer when the SQ stayed
   * full, or up to a record outside its slab or naming an fd the ring does not own), or -errno
   * when none was. */
  sendQueued(count: number): number;
  close(fd: number, id: number): number;
  shutdown(fd: number, id: number, how: number): number;
  cancel(targetOp: number, targetId: number, id: number): number;
  /** Multishot, every `ms` (>= 1). */
  timeout(ms: number, id: number): number;
  timeoutRemove(timeoutId: number, id: number): number;
  flush(): number;
  /** -EBADF for an fd the ring does not own (or closed), as the kernel says for a closed one. */
  peerName(fd: number): [string, number] | number;
  setNoDelay(fd: number, on: boolean): number;
  info(): UringInfo;
  /** UDP socket with SO_REUSEADDR + SO_REUSEPORT: [fd or -errno, failing syscall, bound port] */
  udpBind(host: string, port: number): [number, string, number];
  /** Multishot recvmsg into group bgid, reserving nameLen address bytes per buffer. */
  recvMsg(fd: number, id: number, bgid: number, nameLen: number): number;
  /** Queues the records staging[start, end) (see send-batch.h) as one batch; count or -errno. */
  sendMsgs(fd: number, tag: number, staging: Uint8Array, start: number, end: number): number;
  /**
   * Cancels every request in flight and waits for their completions (so the kernel no longer
   * touches a buffer or socket), then closes the ring and every socket it still owns. Also done
   * when the object is collected and when its worker thread exits.
   */
  destroy(): void;
}

/** The SQ size bound: the CQ gets 4 x entries, at most IORING_MAX_CQ_ENTRIES (65536). */
export const MAX_RING_ENTRIES = 16384;

type UringCtor = new (entries: number, onEvents: (count: number) => void) => Uring;

/**
 * Creates the calling thread's ring (SINGLE_ISSUER | DEFER_TASKRUN | CQSIZE, CQ = 4 x entries).
 * Throws IoUringUnavailableError with the probe's reason (cause and fix) when the kernel refuses.
 */
export function createUring(entries: number, onEvents: (count: number) => void): Uring {
  if (typeof entries !== 'number') {
    throw new InvalidArgError(`createUring(entries, onEvents): entries must be a number, got ${describe(entries)}`);
  }
  if (!Number.isInteger(entries) || entries < 1 || entries > MAX_RING_ENTRIES) {
    throw new OutOfRangeError(
      `createUring(entries, onEvents): entries must be an integer from 1 to ${MAX_RING_ENTRIES}, got ${entries}`,
    );
  }
  if (typeof onEvents !== 'function') {
    throw new InvalidArgError(
      `createUring(entries, onEvents): onEvents must be a function, got ${describe(onEvents)}`,
    );
  }
  const Ctor = (binding() as unknown as { Uring: UringCtor }).Uring;
  try {
    return call(() => new Ctor(entries, onEvents));
  } catch (err) {
    const e = err as { errno?: number; syscall?: string };
    if (e.syscall === 'io_uring_setup' && typeof e.errno === 'number') {
      // The probe names the cause and the fix (seccomp, sysctl, kernel, memlock); it tries plain
      // flags first, so EINVAL here with a working probe means the flags below are too new.
      const probe = ioUringProbe();
      const reason =
        probe.reason ??
        (errnoName(e.errno) === 'EINVAL'
          ? 'io_uring_setup refused SINGLE_ISSUER | DEFER_TASKRUN | CQSIZE (EINVAL): Gatio needs Linux 6.1 or newer'
          : `io_uring_setup failed with ${errnoName(e.errno)}`);
      throw new IoUringUnavailableError(reason, e.errno);
    }
    throw err;
  }
}
