// Security rules of @gatio/net: rings keep their creator's credentials (CVE-2024-22017), and what
// a handler may assume about the receive buffers it is shown.
import { spawn, type ChildProcess } from 'node:child_process';
import * as net from 'node:net';
import { connect, fixture, freePort, readUntil, sleep, startServer, within } from './net-helpers';

const isRoot = process.getuid?.() === 0;
const running: ChildProcess[] = [];
afterAll(() => running.forEach((c) => c.exitCode === null && c.kill('SIGKILL')));
if (!isRoot) console.log('net-security: credential test skipped: it needs root to change the effective uid in a child');

(isRoot ? test : test.skip)('credentials dropped after the ring exists: the driver refuses with GATIO_ERR_CREDENTIALS_CHANGED', async () => {
  const port = await freePort();
  const child = spawn(process.execPath, [fixture('net-creds-server.js'), String(port)], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
  running.push(child);
  const waitFor = async (what: string, ms = 5000) => {
    const end = Date.now() + ms;
    while (!out.includes(what) && Date.now() < end && child.exitCode === null) await sleep(20);
    return out.includes(what);
  };
  try {
    expect(await waitFor('listening')).toBe(true);
    const s = await connect(port);
    const echo = readUntil(s, (b) => b.length >= 3);
    s.write('abc');
    expect((await echo).data.toString()).toBe('abc');
    const before = readUntil(s, () => false, 4000);
    child.stdin.write('go\n');
    expect(await waitFor('dropped')).toBe(true);
    // Within one tick (1 s) the driver sees the change: open connections are closed, the listener too.
    expect(await waitFor('GATIO_ERR_CREDENTIALS_CHANGED', 3000)).toBe(true);
    expect((await before).ended).toBe(true);
    expect(out).toMatch(/euid 0 -> 65534/);
    expect(out).toMatch(/driver 0 stops serving: .*Drop privileges before Runtime\.start/);
    const refused = await new Promise<string>((r) => {
      const c = net.connect(port, '127.0.0.1');
      c.on('error', (e: NodeJS.ErrnoException) => r(e.code ?? 'error'));
      c.on('data', () => r('served'));
      c.on('connect', () => c.write('x'));
      c.on('close', () => r('closed'));
    });
    expect(refused).toBe('ECONNREFUSED');
    child.stdin.write('done\n');
    expect(await within(exited, 10000, 'the credentials child exiting')).toBe(0);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});

test("receive buffers: each data() view holds only its own bytes; a view kept past data() never shows another connection's", async () => {
  // One receive buffer: every recv of the port lands in it, so its reuse is deterministic.
  const { rt, port } = await startServer({ handler: fixture('net-retain-handler.js'), options: { bufferCount: 1, bufferSize: 64 } });
  try {
    const a = await connect(port);
    const b = await connect(port);
    let r = readUntil(a, (x) => x.includes(10));
    a.write('?keep AAAAAAAAAAAAAAAAAAAAAAAA');
    expect((await r).data.toString()).toBe('kept\n');
    r = readUntil(b, (x) => x.length >= 12);
    b.write('BBBBBBBBBBBB');
    expect((await r).data.toString()).toBe('BBBBBBBBBBBB'); // B's view: its own 12 bytes only
    r = readUntil(b, (x) => x.includes(10));
    b.write('?peek');
    let seen = JSON.parse((await r).data.toString());
    // B's bytes went through the same receive buffer, but the handler's views are copies in
    // memory of their own connection: A's kept view (and all of its .buffer) still shows A's bytes.
    expect(seen.copy).toBe('?keep AAAAAAAAAAAAAAAAAAAAAAAA');
    expect(seen.view).toBe('?keep AAAAAAAAAAAAAAAAAAAAAAAA');
    // A's own next bytes do overwrite it (hence the rule: copy what outlives the call).
    r = readUntil(a, (x) => x.includes(10));
    a.write('?peek');
    seen = JSON.parse((await r).data.toString());
    expect(seen.copy).toBe('?keep AAAAAAAAAAAAAAAAAAAAAAAA');
    expect(seen.view).toBe(`?peek ${'A'.repeat(24)}`);
    a.destroy();
    b.destroy();
  } finally {
    await rt.close();
  }
});
