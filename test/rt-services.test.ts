// The services contract seen from a user: tcp() / udp() from @gatio/net plugged into
// Runtime.start({ services }), port 0 shared by every driver of a service, address(), one
// runtime per service object, driver kinds, no task module, opt-in signal handling.
import * as net from 'node:net';
import { InvalidOptionError, Runtime, UnknownTaskError } from '@gatio/core';
import { ServiceNotStartedError, tcp, udp } from '@gatio/net';
import { TASKS, caught } from './helpers';
import { connect, fixture, readUntil } from './net-helpers';
import { UdpClient } from './net-udp-helpers';

const probe = fixture('net-probe-handler.js');

/** Asks `?driver` on fresh connections until every driver in `want` answered (bounded). */
async function driversSeen(port: number, want: number, tries = 200): Promise<Set<string>> {
  const seen = new Set<string>();
  for (let i = 0; i < tries && seen.size < want; i++) {
    const s = await connect(port);
    const r = readUntil(s, (b) => b.includes(10));
    s.write('?driver\n');
    seen.add((await r).data.toString().trim());
    s.destroy();
  }
  return seen;
}

test('port 0: one ephemeral port that every driver of the service serves; address() tells it', async () => {
  const web = tcp({ port: 0, handler: probe });
  expect(() => web.address()).toThrow(ServiceNotStartedError);
  const rt = await Runtime.start({ filename: TASKS, drivers: 2, services: [web] });
  try {
    const addr = web.address();
    expect(addr).toMatchObject({ address: '127.0.0.1', family: 'IPv4' });
    expect(addr.port).toBeGreaterThan(0);
    expect([...(await driversSeen(addr.port, 2))].sort()).toEqual(['driver 0', 'driver 1']);
  } finally {
    await rt.close();
  }
  expect(() => web.address()).toThrow(/stopped/);
});

test('a runtime that only serves needs no task module; its tasks reject with UnknownTaskError', async () => {
  const web = tcp({ port: 0, handler: probe });
  const rt = await Runtime.start({ drivers: 1, services: [web] });
  try {
    const s = await connect(web.address().port);
    const r = readUntil(s, (b) => b.length >= 5);
    s.write('hello');
    expect((await r).data.toString()).toBe('hello');
    s.destroy();
    expect(await caught(rt.run(1))).toBeInstanceOf(UnknownTaskError);
  } finally {
    await rt.close();
  }
});

test('tcp and udp services side by side on io drivers, metrics under gatio_net_*', async () => {
  const web = tcp({ port: 0, handler: probe });
  const dgram = udp({ port: 0, handler: fixture('net-udp-handler.js'), drivers: [1] });
  const rt = await Runtime.start({
    filename: TASKS,
    drivers: [
      { cpu: 0, kind: 'io' },
      { cpu: 1, kind: 'hybrid' },
    ],
    services: [web, dgram],
  });
  try {
    expect(dgram.address().port).toBeGreaterThan(0);
    const client = await UdpClient.open('udp4');
    try {
      expect(String(await client.ask('ping', dgram.address().port))).toContain('ping');
    } finally {
      client.close();
    }
    expect([...(await driversSeen(web.address().port, 2))].sort()).toEqual(['driver 0', 'driver 1']);
    const text = await rt.metrics();
    expect(text).toMatch(/^gatio_net_accepted_total\{driver="0"/m);
    expect(text).toMatch(/^gatio_net_udp_received_total\{driver="1"[^}]*\} [1-9]/m);
  } finally {
    await rt.close();
  }
});

test('a service object belongs to one runtime', async () => {
  const web = tcp({ port: 0, handler: probe });
  const rt = await Runtime.start({ filename: TASKS, drivers: 1, services: [web] });
  await rt.close();
  const again = await caught(Runtime.start({ filename: TASKS, drivers: 1, services: [web] }));
  expect(again).toBeInstanceOf(InvalidOptionError);
  expect(again.message).toMatch(/not used by another runtime/);
});

test('driver kinds: a service never runs on exec drivers; none left is a clear error', async () => {
  const err = await caught(Runtime.start({ filename: TASKS, drivers: [{ cpu: 0, kind: 'exec' }], services: [tcp({ port: 0, handler: probe })] }));
  expect(err).toBeInstanceOf(InvalidOptionError);
  expect(err.message).toMatch(/at least one io or hybrid driver/);
  const named = await caught(
    Runtime.start({ filename: TASKS, drivers: [{ cpu: 0 }, { cpu: 1, kind: 'exec' }], services: [tcp({ port: 0, handler: probe, drivers: [1] })] }),
  );
  expect(named.message).toMatch(/driver 1 is an exec driver/);
});

test('the old ports option, a non-service, and a missing filename without services are named errors', async () => {
  await expect(Runtime.start({ filename: TASKS, ports: [] } as never)).rejects.toThrow(/services: \[tcp\(\{ port, handler \}\)\]/);
  await expect(Runtime.start({ filename: TASKS, services: [{ port: 1 }] as never })).rejects.toThrow(/'services\[0\]'/);
  await expect(Runtime.start({} as never)).rejects.toThrow(/'filename'/);
});

test('a failed start releases the port reservation and leaves nothing listening', async () => {
  // Driver 0 cannot load the handler: the start fails after port 0 was reserved.
  const web = tcp({ port: 0, handler: fixture('net-tasks.js') });
  await expect(Runtime.start({ filename: TASKS, drivers: 1, services: [web] })).rejects.toThrow(/GATIO_ERR_HANDLER_LOAD|default export/);
  expect(() => web.address()).toThrow(ServiceNotStartedError);
});

test('a runtime installs no signal handler unless asked (shutdown.signals)', async () => {
  const before = [process.listenerCount('SIGTERM'), process.listenerCount('SIGINT')];
  const rt = await Runtime.start({ filename: TASKS, drivers: 1 });
  expect([process.listenerCount('SIGTERM'), process.listenerCount('SIGINT')]).toEqual(before);
  await rt.close();
  const opted = await Runtime.start({ filename: TASKS, drivers: 1, shutdown: { signals: true } });
  expect(process.listenerCount('SIGTERM')).toBe(before[0] + 1);
  await opted.close();
  expect(process.listenerCount('SIGTERM')).toBe(before[0]);
});

test('the reserved port is really shared: a plain socket cannot take it while the service runs', async () => {
  const web = tcp({ port: 0, handler: probe });
  const rt = await Runtime.start({ filename: TASKS, drivers: 2, services: [web] });
  try {
    const blocker = net.createServer();
    const err = await new Promise<NodeJS.ErrnoException>((resolve) => {
      blocker.once('error', resolve);
      blocker.listen(web.address().port, '127.0.0.1', () => resolve(new Error('listened') as NodeJS.ErrnoException));
    });
    blocker.close();
    expect(err.code).toBe('EADDRINUSE');
  } finally {
    await rt.close();
  }
});
