/**
 * Large send buffers that a driver allocated itself are freed the moment it is done with them.
 *
 * Why: a connection whose peer does not read can queue hundreds of MB (a growing copy buffer in
 * Connection#append, a concatenated queue in DriverNet#flush). Once they are sent or dropped
 * they are garbage, but V8 frees an ArrayBuffer's memory only when it next collects garbage, and
 * an idle driver thread allocates nothing that would make it collect: after a 400 MB queue was
 * dropped at close, RSS stayed at 750 MB (test/net-memory.test.ts). So the driver detaches such
 * a buffer itself: posting it as a transferable on a closed MessagePort serializes the message
 * (which detaches the buffer, as the HTML spec requires even for a closed port) and drops it at
 * once, which frees the backing store right there, synchronously.
 *
 * Only buffers registered with own() are ever detached: never a user's chunk (large writes are
 * sent from place), never a send block, never a buffer a send in flight still reads.
 *
 * Thread: any; each driver thread has its own module instance.
 */
import { MessageChannel, type MessagePort } from 'node:worker_threads';

/** Smaller buffers are left to the garbage collector (detaching costs a few microseconds). */
export const RELEASE_MIN_BYTES = 256 * 1024;

const owned = new WeakSet<ArrayBufferLike>();
let closedPort: MessagePort | null = null;

/** Registers a buffer this driver allocated (its whole ArrayBuffer) as one release() may free. */
export function ownSendMemory(bytes: Uint8Array): void {
  if (bytes.buffer.byteLength >= RELEASE_MIN_BYTES) owned.add(bytes.buffer);
}

/**
 * Frees the memory under `bytes` now if it is a large buffer registered with ownSendMemory (and
 * not freed yet); does nothing otherwise. The caller must hold no other view of it.
 */
export function releaseSendMemory(bytes: Uint8Array | null): void {
  if (bytes === null || bytes.buffer.byteLength < RELEASE_MIN_BYTES || !owned.delete(bytes.buffer)) return;
  if (closedPort === null) {
    const { port1 } = new MessageChannel();
    port1.close(); // at once (its sibling follows); a message posted on it is serialized, then dropped
    closedPort = port1;
  }
  closedPort.postMessage(undefined, [bytes.buffer as ArrayBuffer]);
}
