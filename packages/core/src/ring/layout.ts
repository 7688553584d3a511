/**
 * Shared-memory layout of Gatio's rings and per-thread control blocks.
 *
 * A ring is a single-producer single-consumer byte queue inside a TPC arena (a SharedArrayBuffer):
 *
 *   offset 0                128               256                          256 + capacity
 *   +-----------------------+-----------------+--------------------------------------+
 *   | HEAD (consumer line)  | TAIL, WANT_SPACE |  data: length-prefixed records       |
 *   +-----------------------+-----------------+--------------------------------------+
 *
 * HEAD and TAIL are free-running 32-bit byte counters (they wrap at 2^32, which the power-of-two
 * capacity divides); used bytes = (TAIL - HEAD) >>> 0, a record starts at (TAIL & (capacity - 1)).
 * They sit on separate 128-byte lines so the producer and consumer never write the same line
 * (two 64-byte lines, because adjacent-line prefetch pairs them on x86).
 *
 * A control block belongs to one thread (the main thread or a driver) and is the doorbell every
 * producer rings when it wrote to one of that thread's inbound rings:
 *
 *   +--------------------------+----------------------------------------------------+
 *   | STATE, BELL (doorbell)    | stats the driver publishes (its own line)          |
 *   +--------------------------+----------------------------------------------------+
 *
 * STATE is AWAKE or PARKED; BELL is a counter that Atomics.waitAsync watches.
 */

export const CACHE_LINE = 128;

// Ring header, as Int32Array indices relative to the ring's offset / 4.
export const RING_HEAD = 0;
export const RING_TAIL = CACHE_LINE / 4;
/** Set by a producer that found the ring full; the consumer rings the producer once it freed space. */
export const RING_WANT_SPACE = CACHE_LINE / 4 + 1;
export const RING_HEADER_BYTES = 2 * CACHE_LINE;

// Record framing. Every record is 8-byte aligned and starts with its total length in bytes.
export const RECORD_ALIGN = 8;
/** Written instead of a length when a record did not fit before the end: the consumer skips to 0. */
export const RECORD_WRAP = -1;
export const RECORD_HEADER_BYTES = 16; // length, meta, task id, reserved

// Record kinds (low 4 bits of the meta word).
export const KIND_REQUEST = 1;
export const KIND_RESULT = 2;
export const KIND_ERROR = 3;
export const KIND_ABORT = 4;

// Meta word: kind | priority << 4 | named << 6 | oob << 7 | reply tag << 8 | generation << 16.
export const META_PRIORITY_SHIFT = 4;
export const META_NAMED = 1 << 6;
/** A placeholder: the record's value comes by postMessage, and is handled at this place in the ring. */
export const META_OOB = 1 << 7;
/**
 * Reply tag: the low 8 bits of the requester's generation, set on a request and copied into its
 * answer, so an answer meant for an incarnation that crashed never settles its successor's request
 * that reuses the id.
 */
export const META_REPLY_SHIFT = 8;
export const META_REPLY_MASK = 0xff << META_REPLY_SHIFT;
/** Requests: the generation of the target they were sent to. */
export const META_GEN_SHIFT = 16;

// Control block, as Int32Array indices relative to the block's offset / 4.
export const CTRL_STATE = 0;
export const CTRL_BELL = 1;
export const CTRL_STATS = CACHE_LINE / 4; // the stats line, written by the block's own thread only
export const STAT_COMPLETED = CTRL_STATS + 0;
export const STAT_FAILED = CTRL_STATS + 1;
export const STAT_RUNNING = CTRL_STATS + 2; // tasks started and not finished (async ones included)
/** Float64Array index (relative to the block's offset / 8): milliseconds spent running tasks. */
export const STAT_BUSY_MS_F64 = (CACHE_LINE + 16) / 8;
export const CTRL_BYTES = 2 * CACHE_LINE;

export const STATE_AWAKE = 0;
export const STATE_PARKED = 1;
