/**
 * What the mesh sends: the records of one thread's Endpoint (request, answer, abort, placeholder)
 * before they are written and after they are read, how their meta word and reply address are
 * encoded and decoded, and the interfaces through which the Endpoint's parts reach it.
 *
 * The byte layout of a record in a ring is ../ring/layout.ts; the writing of one is
 * ../ring/record-writer.ts. Everything here belongs to one thread: a Pending or an Outgoing never
 * leaves the thread that made it (its value travels as a ring record or by postMessage).
 */
import {
  KIND_ERROR,
  KIND_REQUEST,
  KIND_RESULT,
  META_GEN_SHIFT,
  META_NAMED,
  META_PRIORITY_SHIFT,
  META_REPLY_MASK,
  META_REPLY_SHIFT,
} from '../ring/layout';

export const PRIORITY_HIGH = 0;
export const PRIORITY_NORMAL = 1;
export const PRIORITY_LOW = 2;

/**
 * The sender a request hands to onRequest, and respond() takes back: its thread index, with the
 * requester's reply tag above it.
 */
const REPLY_TO_TAG_SHIFT = 16;
export const REPLY_THREAD_MASK = 0xffff;

/** Meta word of a request: its kind, priority, the sender's reply tag and the target's generation. */
export function requestMeta(priority: number, replyTag: number, gen: number, named: boolean): number {
  const meta = KIND_REQUEST | (priority << META_PRIORITY_SHIFT) | replyTag | (gen << META_GEN_SHIFT);
  return named ? meta | META_NAMED : meta;
}

/** The replyTo handed to onRequest for a request from `from` with this meta word. */
export function replyToOf(from: number, meta: number): number {
  // The answer goes back with the requester's reply tag (see META_REPLY_SHIFT).
  return from | ((meta & META_REPLY_MASK) << (REPLY_TO_TAG_SHIFT - META_REPLY_SHIFT));
}

/** Meta word of an answer to the request that onRequest got with `replyTo`. */
export function answerMeta(ok: boolean, replyTo: number): number {
  return (ok ? KIND_RESULT : KIND_ERROR) | ((replyTo >>> REPLY_TO_TAG_SHIFT) << META_REPLY_SHIFT);
}

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
 * (the sender's generation, and the receiver's as the sender saw it). See ./oob.ts.
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
 * What the Endpoint's parts (OutChannel, OutOfBand, Inbound) call back into. Only the Endpoint implements
 * it, so those calls stay monomorphic; it is an interface so that the parts need not import the
 * Endpoint (no import cycle).
 */
export interface EndpointCore {
  readonly self: number;
  readonly gen: number;
  readonly hooks: EndpointHooks;
  /** Requests waiting in backlogs, all targets together; an OutChannel decrements it as it writes. */
  queuedRequests: number;
  /** Current generation of a thread. */
  genOf(thread: number): number;
  /** Settles a pending request with an error (and forgets it); no-op if it is not pending. */
  fail(id: number, error: unknown): void;
  /** Handles a record read from a ring or come out of band. */
  receive(from: number, id: number, meta: number, name: string | undefined, value: unknown): void;
}
