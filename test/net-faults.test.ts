// Faults on the network side, on real loopback sockets: a handler that throws, a driver that
// dies mid-load (restarted with its listeners re-armed), and EMFILE (accept pauses, no busy loop).
import * as net from 'node:net';
import { connect, cpuTicks, example, fixture, readUntil, sleep, spawnServer, startServer } from './net-helpers';

const handler = fixture('net-fault-handler.js');

async function line(s: net.Socket, q: string): Promise<string> {
  const r = readUntil(s, (b) => b.includes(10), 5000);
  s.write(`${q}\n`);
  return (await r).data.toString().trim();
}

test('a handler that throws in data() closes only that connection; the error reaches close()', async () => {
  const { rt, port } = await startServer({ handler });
  try {
    const good = await connect(port);
    const bad = await connect(port);
    expect(await line(good, 'before')).toBe('before');
    bad.write('!throw\n');
    const r = await readUntil(bad, () => false, 3000);
    expect(r.ended).toBe(true);
    expect(await line(good, 'after')).toBe('after');
    const stats = JSON.parse(await line(good, '?stats'));
    expect(stats.errors).toEqual([expect.stringMatching(/^handler boom on connection \d+$/)]);
    good.destroy();
  } finally {
    await rt.close();
  }
});

test('a driver that dies mid-load is restarted on its CPU with its listener re-armed', async () => {
  const { rt, port } = await startServer({ handler, drivers: 2 });
  const crashes: Array<{ driver: number; reason: string }> = [];
  rt.on('crash', (c) => crashes.push(c));
  try {
    // Load on both drivers, then find a connection on driver 0 and kill that driver from it.
    const sockets = await Promise.all(Array.from({ length: 24 }, () => connect(port)));
    const where = await Promise.all(sockets.map((s) => line(s, '?driver')));
    const victim = sockets[where.indexOf('driver 0')];
    const survivors = sockets.filter((_, i) => where[i] === 'driver 1');
    expect(victim).toBeDefined();
    expect(survivors.length).toBeGreaterThan(0);
    const load = survivors.map(async (s, i) => {
      for (let k = 0; k < 20; k++) if ((await line(s, `load ${i} ${k}`)) !== `load ${i} ${k}`) return false;
      return true;
    });
    const cpu0 = rt.drivers[0].cpu;
    victim.write('!exit\n');
    expect((await readUntil(victim, () => false, 5000)).ended).toBe(true);
    expect(await Promise.all(load)).toEqual(survivors.map(() => true)); // driver 1 kept serving
    const deadline = Date.now() + 10000;
    while (rt.stats().drivers[0].restarts < 1 && Date.now() < deadline) await sleep(20);
    expect(rt.stats().drivers[0].restarts).toBe(1);
    expect(crashes).toEqual([{ driver: 0, reason: expect.stringContaining('7') }]);
    expect(rt.drivers[0].cpu).toBe(cpu0);
    // New connections reach the new incarnation of driver 0 (its SO_REUSEPORT listener is back).
    const seen = new Set<string>();
    for (let i = 0; i < 200 && seen.size < 2 && Date.now() < deadline + 5000; i++) {
      const s = await connect(port);
      seen.add(await line(s, '?driver'));
      s.destroy();
    }
    expect([...seen].sort()).toEqual(['driver 0', 'driver 1']);
    for (const s of sockets) s.destroy();
  } finally {
    await rt.close();
  }
});

test('EMFILE: accept pauses without a busy loop and resumes once descriptors free up', async () => {
  const srv = await spawnServer(example('echo'), { prlimit: ['--nofile=64:64'] });
  const sockets: net.Socket[] = [];
  try {
    // More connections than the server has descriptors: the kernel completes the handshakes
    // (backlog), the server's accept fails with EMFILE until some close.
    for (let i = 0; i < 120; i++) {
      const s = net.connect(srv.port, '127.0.0.1');
      s.on('error', () => {});
      s.setNoDelay(true);
      sockets.push(s);
    }
    const echoed = new Set<number>();
    sockets.forEach((s, i) => {
      s.on('data', () => echoed.add(i));
      s.write('x');
    });
    await sleep(500);
    const servedWhileFull = echoed.size;
    expect(servedWhileFull).toBeGreaterThan(10);
    expect(servedWhileFull).toBeLessThan(120);
    // Saturated: the server must be nearly idle (a busy accept loop would burn a core).
    const t0 = cpuTicks(srv.pid);
    await sleep(1000);
    const ticks = cpuTicks(srv.pid) - t0; // clock ticks, 100 per second
    expect(ticks).toBeLessThan(15);
    // Free descriptors: every waiting connection is served.
    for (const i of echoed) sockets[i].destroy();
    const deadline = Date.now() + 5000;
    while (echoed.size < 120 && Date.now() < deadline) {
      const served = [...echoed].length;
      await sleep(50);
      if (echoed.size === served) for (const i of echoed) sockets[i].destroy();
    }
    expect(echoed.size).toBe(120);
    expect(srv.output()).not.toMatch(/Error/);
  } finally {
    for (const s of sockets) s.destroy();
    expect(await srv.stop()).toBe(0);
  }
});

test('destroy() while drivers are inside completion batches terminates them cleanly', async () => {
  const { rt, port } = await startServer({ drivers: 2, handler: example('echo').replace('server.js', 'handler.js') });
  const sockets = await Promise.all(Array.from({ length: 32 }, () => connect(port)));
  const chunk = Buffer.alloc(16384, 1);
  let writing = true;
  for (const s of sockets) {
    s.on('error', () => {});
    s.on('data', () => {}); // keep the echo flowing
    const pump = () => {
      while (writing && s.write(chunk));
      if (writing) s.once('drain', pump);
    };
    pump();
  }
  await sleep(300); // both drivers are busy echoing
  await rt.destroy(); // terminates the worker threads mid-batch; this process must survive
  writing = false;
  for (const s of sockets) s.destroy();
  expect(rt.drivers.length).toBe(2);
});

test('a completion queue far too small for the load (a ring made tiny on purpose): every byte still arrives, in order', async () => {
  const { rt, port } = await startServer({ drivers: 1, handler: example('echo').replace('server.js', 'handler.js'), options: { ringEntries: 1 } });
  try {
    const payload = Buffer.alloc(64 * 1024);
    for (let i = 0; i < payload.length; i++) payload[i] = (i * 7) & 255;
    const sockets = await Promise.all(Array.from({ length: 48 }, () => connect(port)));
    const echoes = sockets.map((s) => readUntil(s, (b) => b.length >= payload.length, 20000));
    for (const s of sockets) s.write(payload);
    for (const r of await Promise.all(echoes)) expect(Buffer.compare(r.data.subarray(0, payload.length), payload)).toBe(0);
    for (const s of sockets) s.destroy();
    const text = await rt.metrics();
    const figure = (name: string) => Number(new RegExp(`^gatio_net_${name}\\{[^}]*\\} (\\d+)$`, 'm').exec(text)?.[1]);
    // The CQ holds 4 entries: every batch was cut to at most that, and completions beyond it either
    // waited in the kernel (DEFER_TASKRUN runs deferred work only while the CQ has room) or went
    // to its overflow list (counted in cq_overflows_total); either way nothing was lost.
    expect(figure('cqes_total') / figure('batches_total')).toBeLessThanOrEqual(4);
    expect(figure('batches_total')).toBeGreaterThan(48);
    expect(figure('cq_overflows_total')).toBeGreaterThanOrEqual(0);
  } finally {
    await rt.close();
  }
});
