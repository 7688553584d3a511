// Accept errors other than running out of descriptors, provoked for real: the driver's listening
// socket is shut down (SHUT_RD, through the driver's own ring), which takes it out of the LISTEN
// state; from then on every accept on it fails at once with EINVAL. The driver must back off
// (never re-arm in a loop), count the errors (gatio_net_accept_errors_total), publish them on
// gatio:net:accept-error, and keep serving its connections.
import * as net from 'node:net';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { SHUT_RD } from '@gatio/native';
import { attachDriver, validatePorts } from '@gatio/net';
import { connect, echo, fixture, freePort, sleep } from './net-helpers';
import { waitFor } from './net-waits';

const clients = new Set<net.Socket>();
afterEach(() => {
  for (const c of clients) c.destroy();
  clients.clear();
});

test('an accept that keeps failing is retried with a bounded back-off, counted and published; the driver keeps serving', async () => {
  const port = await freePort();
  const ports = validatePorts([{ port, drivers: [0], handler: fixture('net-probe-handler.js') }], [{ id: 0 }]);
  const h = await attachDriver({ driver: 0, ports });
  const published: Array<Record<string, unknown>> = [];
  const onError = (m: unknown) => published.push(m as Record<string, unknown>);
  subscribe('gatio:net:accept-error', onError);
  try {
    h.serve();
    const s = await connect(port);
    clients.add(s);
    expect(await echo(s, 'before')).toBe('before');
    const drv = h.net!;
    const l = drv.listeners[0];
    expect(drv.ring.shutdown(l.fd, 0, SHUT_RD)).toBe(0);
    drv.ring.flush();

    await waitFor(() => published.length > 0, 5000, 'the first accept error to be published');
    expect(published[0]).toMatchObject({ driver: 0, port, errno: 22, code: 'EINVAL', failures: 1 });
    // Over the next second: a handful of re-arms (1, 2, 4 ... ms, at most one per second once
    // backed off), where re-arming at once spins through thousands.
    const rearms = l.stats.acceptRearms;
    await sleep(1000);
    const more = l.stats.acceptRearms - rearms;
    expect(more).toBeLessThan(30);
    expect(published.length).toBe(l.stats.acceptErrors);
    expect(h.stats().accept_errors_total).toBe(l.stats.acceptErrors);
    expect(Math.max(...published.map((m) => m.retryMs as number))).toBeLessThanOrEqual(1000);

    expect(await echo(s, 'after')).toBe('after'); // its connection is still served
  } finally {
    unsubscribe('gatio:net:accept-error', onError);
    await h.close();
  }
});
