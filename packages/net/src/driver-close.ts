/**
 * Graceful close of a driver's networking (driver thread): stop accepting, end every connection
 * (queued writes flush first; one whose handler.end(conn) is settling ends when it settles), close the UDP sockets, wait for the last close (destroying what is
 * left after `graceMs`), then close the ring.
 */
import { OP_ACCEPT } from '@gatio/native';
import type { DriverNet } from './driver-net';

/** id of fire-and-forget requests (closing a refused fd, cancels). */
export const NO_SLOT = 0;

/** Graceful: stop accepting, end every connection, wait for them (destroying after `graceMs`). */
export async function closeDriver(net: DriverNet, graceMs: number): Promise<void> {
  if (net.closing) return;
  net.closing = true;
  for (const l of net.listeners) {
    l.closing = true;
    if (l.acceptArmed) net.ring.cancel(OP_ACCEPT, l.index, NO_SLOT);
    else if (l.fd >= 0) net.ring.close(l.fd, NO_SLOT);
  }
  if (net.tickMs !== 0) net.ring.timeoutRemove(0, NO_SLOT);
  // A connection whose handler.end(conn) is still settling ends when it settles (its last
  // replies are on their way); graceMs bounds the wait as for the others.
  for (const conn of net.slots) if (conn !== undefined && !conn.endHookPending) conn.end();
  for (const s of net.udp) s.close();
  net.flush();
  net.ring.flush();
  const wait = (ms: number) =>
    new Promise<void>((resolve) => {
      if (net.connCount === 0 && net.udpOpen === 0) return resolve();
      const timer = setTimeout(resolve, ms);
      net.allClosed = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  await wait(graceMs);
  if (net.connCount > 0) {
    for (const conn of net.slots) conn?.destroy();
    net.ring.flush();
    await wait(1000);
  }
  net.destroy();
}
