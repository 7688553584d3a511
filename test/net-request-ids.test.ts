// Request ids (the io_uring user_data of a connection's requests) carry a generation: a completion
// that arrives after its connection closed and its slot went to a new connection must not settle
// the new one. Forced here for real: connection A closes, B takes A's slot, then a request issued
// with A's old id completes (a CLOSE of a socket the ring owns, through the driver's own ring).
import * as net from 'node:net';
import { attachDriver, validatePorts, type Connection } from '@gatio/net';
import { connect, echo, fixture, freePort, readUntil } from './net-helpers';
import { waitFor } from './net-waits';

const clients = new Set<net.Socket>();
afterEach(() => {
  for (const c of clients) c.destroy();
  clients.clear();
});

test("a late completion carrying a freed slot's old id does not touch the connection that reuses the slot", async () => {
  const port = await freePort();
  const ports = validatePorts([{ port, drivers: [0], handler: fixture('net-probe-handler.js') }], [{ id: 0 }]);
  const h = await attachDriver({ driver: 0, ports });
  try {
    h.serve();
    const drv = h.net!;
    const live = () => drv.slots.filter((c): c is Connection => c !== undefined);
    const a = await connect(port);
    clients.add(a);
    expect(await echo(a, 'from a')).toBe('from a');
    const [connA] = live();
    const staleId = (connA as unknown as { reqId: number }).reqId;
    a.destroy();
    await waitFor(() => live().length === 0, 5000, "A's slot to be freed");

    const b = await connect(port);
    clients.add(b);
    expect(await echo(b, 'from b')).toBe('from b');
    const [connB] = live();
    expect((connB as unknown as { slot: number }).slot).toBe((connA as unknown as { slot: number }).slot); // the same slot, reused

    const closesBefore = JSON.parse(await ask(b, '?stats')).closed;
    // The late completion: a CLOSE named with A's id, of a socket this ring owns; B's next
    // request comes after it in the completion queue.
    const [fd] = drv.ring.listen('127.0.0.1', 0, 1);
    expect(fd).toBeGreaterThanOrEqual(0);
    expect(drv.ring.close(fd, staleId)).toBe(0);
    drv.ring.flush();
    // B is untouched (its echo comes after the late completion): still served, still in its
    // slot, never reported closed.
    expect(await echo(b, 'b again')).toBe('b again');
    expect(live()).toEqual([connB]);
    expect(connB.closed).toBe(false);
    expect(JSON.parse(await ask(b, '?stats')).closed).toBe(closesBefore);
    expect(h.stats().connections).toBe(1);
  } finally {
    await h.close();
  }
});

async function ask(s: net.Socket, q: string): Promise<string> {
  const r = readUntil(s, (b) => b.includes(10), 5000);
  s.write(`${q}\n`);
  return (await r).data.toString().trim();
}
