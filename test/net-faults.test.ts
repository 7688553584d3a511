// Faults on the network side, on real loopback sockets: a handler that throws, a driver that
// dies mid-load (restarted with its listeners re-armed), and EMFILE (accept pauses, no busy loop).
// Every client socket a test opens is destroyed after it, pass or fail, and every runtime is
// closed in a finally: a failing test must not leave a handle that keeps jest from exiting.
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { connect, cpuTicks, example, fixture, readUntil, sleep, spawnServer, startServer, within } from './net-helpers';
import { listenersOn, waitFor } from './net-waits';

const handler = fixture('net-fault-handler.js');

const clients = new Set<net.Socket>();
afterEach(() => {
  for (const c of clients) c.destroy();
  clients.clear();
});
async function client(port: number): Promise<net.Socket> {
  const s = await connect(port);
  clients.add(s);
  return s;
}

async function line(s: net.Socket, q: string): Promise<string> {
  const r = readUntil(s, (b) => b.includes(10), 5000);
  s.write(`${q}\n`);
  return (await r).data.toString().trim();
}

test('a handler that throws in data() closes only that connection; the error reaches close()', async () => {
  const { rt, port } = await startServer({ handler });
  try {
    const good = await client(port);
    const bad = await client(port);
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
  // Published once the new incarnation reported ready, its report was checked and it was told
  // to serve ('go'): from then on its listener accepts (connections before that wait in its backlog).
  let onStart: (m: unknown) => void = () => {};
  const restarted = new Promise<void>((resolve) => {
    onStart = (m) => (m as { driver: number; restart: boolean }).restart && (m as { driver: number }).driver === 0 && resolve();
  });
  subscribe('gatio:driver:start', onStart);
  try {
    // Load on both drivers, then find a connection on driver 0 and kill that driver from it.
    const sockets = await Promise.all(Array.from({ length: 24 }, () => client(port)));
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
    const thread0 = rt.drivers[0].threadId;
    victim.write('!exit\n');
    expect((await readUntil(victim, () => false, 5000)).ended).toBe(true);
    expect(await Promise.all(load)).toEqual(survivors.map(() => true)); // driver 1 kept serving
    // `restarts` counts the crash at once; the new thread takes a while to start (it is ready
    // only once 'gatio:driver:start' says so): wait for that, not for the counter.
    await within(restarted, 30000, 'driver 0 restarted and serving');
    expect(rt.stats().drivers[0].restarts).toBe(1);
    expect(crashes).toEqual([{ driver: 0, reason: expect.stringContaining('7') }]);
    expect(rt.drivers[0].cpu).toBe(cpu0);
    expect(rt.drivers[0].threadId).not.toBe(thread0);
    // The dead incarnation's socket may outlive its thread for a moment (the kernel tears its
    // io_uring down asynchronously), and while it listens, SO_REUSEPORT still hands it
    // connections that nobody accepts. Wait until the kernel lists exactly the two live ones.
    await waitFor(() => listenersOn(port) === 2, 10000, `two listeners on port ${port}`);
    // Each new connection goes to one of the two sockets by the kernel's hash of its address and
    // (each time new) source port: within 200 connections both drivers answer, but for a 2^-199 chance.
    const seen = new Set<string>();
    for (let i = 0; i < 200 && seen.size < 2; i++) {
      const s = await client(port);
      seen.add(await line(s, '?driver'));
      s.destroy();
    }
    expect([...seen].sort()).toEqual(['driver 0', 'driver 1']);
  } finally {
    unsubscribe('gatio:driver:start', onStart);
    await rt.close();
  }
});

test('close() while a driver restarts stops the new incarnation too: it is not left to start and serve on its own', async () => {
  const hold = path.join(os.tmpdir(), `gatio-hold-${process.pid}`); // the handler looks for it as it loads
  const { rt, port } = await startServer({ handler: fixture('net-held-handler.js') });
  try {
    const crashed = new Promise((resolve) => rt.once('crash', resolve));
    fs.writeFileSync(hold, '');
    (await client(port)).write('!exit\n');
    await within(crashed, 10000, 'driver 0 to crash');
    // Its new incarnation is starting, held in its handler's load until `hold` goes away.
    await waitFor(() => fs.existsSync(`${hold}.tid`), 30000, 'the restarting driver to load its handler');
    const tid = Number(fs.readFileSync(`${hold}.tid`, 'utf8'));
    expect(fs.existsSync(`/proc/self/task/${tid}`)).toBe(true);
    await rt.close();
    // close() stopped it (its thread is gone) rather than let it finish starting after close.
    await waitFor(() => !fs.existsSync(`/proc/self/task/${tid}`), 5000, `thread ${tid} to be gone`);
  } finally {
    fs.rmSync(hold, { force: true });
    fs.rmSync(`${hold}.tid`, { force: true });
    await rt.destroy();
  }
});

test('a driver restarted with a changed handler file is checked like at start: refused, it never serves', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatio-changed-'));
  const file = path.join(dir, 'handler.js');
  fs.copyFileSync(handler, file);
  const { rt, port } = await startServer({ handler: file, drivers: 2 });
  try {
    const refused = new Promise<Error & { code?: string }>((resolve) => rt.once('error', resolve));
    fs.appendFileSync(file, '// changed after start\n'); // a deploy while running: new bytes on disk
    let victim: net.Socket | undefined;
    for (let i = 0; i < 200 && victim === undefined; i++) {
      const s = await client(port);
      if ((await line(s, '?driver')) === 'driver 0') victim = s;
    }
    victim!.write('!exit\n');
    const err = await within(refused, 30000, "the restarted driver's report to be refused");
    expect(err.code).toBe('GATIO_ERR_PORT_CONFIG_MISMATCH');
    expect(err.message).toMatch(/driver 0 loaded handler contents \(sha1\)/);
    // Only driver 1 listens (the refused one's socket is closed), and it still serves.
    await waitFor(() => listenersOn(port) === 1, 10000, `one listener on port ${port}`);
    for (let i = 0; i < 20; i++) expect(await line(await client(port), '?driver')).toBe('driver 1');
  } finally {
    await rt.close();
    fs.rmSync(dir, { recursive: true, force: true });
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
  let writing = true;
  try {
    const sockets = await Promise.all(Array.from({ length: 32 }, () => client(port)));
    const chunk = Buffer.alloc(16384, 1);
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
    expect(rt.drivers.length).toBe(2);
  } finally {
    writing = false;
    await rt.destroy();
  }
});

test('a completion queue far too small for the load (a ring made tiny on purpose): every byte still arrives, in order', async () => {
  const { rt, port } = await startServer({ drivers: 1, handler: example('echo').replace('server.js', 'handler.js'), options: { ringEntries: 1 } });
  try {
    const payload = Buffer.alloc(64 * 1024);
    for (let i = 0; i < payload.length; i++) payload[i] = (i * 7) & 255;
    const sockets = await Promise.all(Array.from({ length: 48 }, () => client(port)));
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
