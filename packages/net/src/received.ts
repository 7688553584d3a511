/**
 * Received bytes as handlers see them. Driver thread only.
 *
 * The kernel receives into a listener's (or UDP socket's) provided buffers: one ArrayBuffer shared
 * by every connection of that port and recycled as soon as a batch returns. A handler never gets
 * a view of it: `bytes.buffer` would show other connections' bytes, and user code could transfer
 * or detach it (postMessage or structuredClone with a transfer list, ArrayBuffer#transfer) from
 * under the driver and the kernel. Instead each receive is copied (one memcpy of what arrived)
 * into memory that only its owner uses:
 *   - a TCP connection's receive area: one small ArrayBuffer per connection, reused by its next
 *     receive, so `bytes.buffer` holds only this connection's own bytes. Grown on demand up to
 *     AREA_MAX; replaced when user code detached it (a detached ArrayBuffer has byteLength 0).
 *   - a UDP socket's receive area: the same, with what lies past the datagram zeroed, since the
 *     previous datagram may come from another peer.
 *   - a receive over AREA_MAX, or bytes held while a connection is paused: an ArrayBuffer of its
 *     own (never touched again by the driver; a kept view stays valid).
 * Cost, measured on the echo/RESP path: one memcpy plus a temporary Uint8Array per receive, tens
 * of nanoseconds against a request's ~10 us; a fresh ArrayBuffer per receive cost 2-10x more (and
 * GC work), so it is kept for the large and the held receives.
 *
 * AREA_MAX must stay at most connection.ts's COPY_LIMIT: write() then copies any view of an area
 * at once, so a send in flight never reads an area that the next receive overwrites.
 */
import { Buffer } from 'node:buffer'; // a module binding: the global is an accessor

/** Largest receive copied into its owner's reusable area (<= COPY_LIMIT, see above). */
export const AREA_MAX = 16384;
const AREA_MIN = 1024;

/** What owns a receive area: a Connection or a UdpSocket. */
export interface AreaOwner {
  /** @internal */ recvArea: ArrayBuffer | null;
}

/** memory[offset, offset + length) copied into `owner`'s receive area: a Buffer valid until its next receive. */
export function receivedBytes(owner: AreaOwner, memory: ArrayBuffer, offset: number, length: number): Buffer {
  if (length > AREA_MAX) return ownCopy(memory, offset, length);
  let area = owner.recvArea;
  // Also true when user code detached the area: its byteLength is 0 then.
  if (area === null || area.byteLength < length) area = owner.recvArea = new ArrayBuffer(areaSize(length));
  const view = Buffer.from(area, 0, length);
  view.set(new Uint8Array(memory, offset, length));
  return view;
}

/**
 * As receivedBytes for a UDP socket, whose area is shared by datagrams of different peers: the
 * bytes past this datagram that earlier ones left (up to `owner.recvUsed`) are zeroed.
 */
export function receivedDatagram(owner: AreaOwner & { recvUsed: number }, memory: ArrayBuffer, offset: number, length: number): Buffer {
  const before = owner.recvArea;
  const view = receivedBytes(owner, memory, offset, length);
  if (view.buffer !== owner.recvArea) return view; // its own copy: the area is untouched
  if (view.buffer === before && owner.recvUsed > length) new Uint8Array(before, length, owner.recvUsed - length).fill(0);
  owner.recvUsed = length;
  return view;
}

/** memory[offset, offset + length) in an ArrayBuffer of its own. */
export function ownCopy(memory: ArrayBuffer, offset: number, length: number): Buffer {
  const copy = Buffer.allocUnsafeSlow(length);
  copy.set(new Uint8Array(memory, offset, length));
  return copy;
}

/** A power of two from AREA_MIN to AREA_MAX that holds `length` bytes. */
function areaSize(length: number): number {
  let size = AREA_MIN;
  while (size < length) size *= 2;
  return Math.min(size, AREA_MAX);
}
