/**
 * Piscina.move(value): marks an ArrayBuffer, a view of one (typed array, DataView, Buffer) or a
 * MessagePort so that run(value) moves it to the driver (it goes in that run's transfer list: the
 * sender's buffer is detached, nothing is copied) instead of copying it.
 *
 * Unlike piscina, move() returns the value itself (marked), not a wrapper: nested in an object, or
 * returned by a task, it is copied like any value and arrives whole. A task's result is always
 * copied back (results come through the ring, a large one by postMessage without transfer).
 */
import { MessagePort } from 'node:worker_threads';

/** Values run() moves; weak, so a marked buffer is collected as usual. */
const moved = new WeakSet<object>();

export function move<T>(value: T): T {
  transferableOf(value); // throws for what cannot be moved
  moved.add(value as object);
  return value;
}

/** What goes in the transfer list for a value passed to move(). */
function transferableOf(value: unknown): ArrayBuffer | MessagePort {
  if (value instanceof ArrayBuffer) return value;
  if (value instanceof MessagePort) return value;
  if (ArrayBuffer.isView(value)) {
    if (value.buffer instanceof ArrayBuffer) return value.buffer;
    throw new TypeError('move(value): a view of a SharedArrayBuffer is shared with every thread, not moved; pass it without move()');
  }
  if (value instanceof SharedArrayBuffer) {
    throw new TypeError('move(value): a SharedArrayBuffer is shared with every thread, not moved; pass it without move()');
  }
  throw new TypeError(`move(value): value must be an ArrayBuffer, a typed array, DataView or Buffer, or a MessagePort; got ${typeof value === 'object' ? (value === null ? 'null' : (value.constructor?.name ?? 'an object')) : typeof value}`);
}

/** The transferable of a task argument marked by move(), or undefined (the common case, cheaply). */
export function movedTransferable(task: unknown): ArrayBuffer | MessagePort | undefined {
  if (typeof task !== 'object' || task === null || !moved.has(task)) return undefined;
  return transferableOf(task);
}
