// The RESP example on two drivers: pipelined commands answered in order, keys owned per driver
// and reached from any connection through current.run.
import * as path from 'node:path';
import { Runtime } from '@gatio/core';
import { tcp } from '@gatio/net';
import { connect, freePort, readUntil, settled } from './net-helpers';

const dir = path.join(__dirname, '..', 'examples', 'resp');
const cmd = (...args: string[]) => `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;

test('pipelined RESP over two drivers: every reply in order, same data from every connection', async () => {
  const port = await freePort();
  const rt = await Runtime.start({
    filename: path.join(dir, 'tasks.js'),
    drivers: 2,
    services: [tcp({ port, drivers: [0, 1], handler: path.join(dir, 'handler.js') })],
  });
  try {
    const keys = Array.from({ length: 40 }, (_, i) => `key:${i}`);
    const a = await connect(port);
    let batch = cmd('PING');
    let want = '+PONG\r\n';
    for (const k of keys) {
      batch += cmd('SET', k, `v-${k}`) + cmd('INCR', `n:${k}`) + cmd('GET', k);
      want += `+OK\r\n:1\r\n$${`v-${k}`.length}\r\nv-${k}\r\n`;
    }
    batch += cmd('EXISTS', ...keys.slice(0, 10), 'missing') + cmd('NOPE', 'x') + cmd('ECHO', 'bye');
    want += `:10\r\n-ERR unknown command 'nope', with args beginning with: 'x'\r\n$3\r\nbye\r\n`;
    a.write(batch);
    const r = await readUntil(a, (b) => b.length >= want.length, 10000);
    expect(r.data.toString()).toBe(want);
    // Other connections (on either driver) see the same keys.
    for (let i = 0; i < 4; i++) {
      const b = await connect(port);
      const q = cmd('GET', 'key:7') + cmd('INCR', 'n:key:7') + cmd('DEL', 'key:1', 'key:2', 'missing');
      const w = '$7\r\nv-key:7\r\n' + `:${2 + i}\r\n` + (i === 0 ? ':2\r\n' : ':0\r\n');
      b.write(q);
      expect((await readUntil(b, (x) => x.length >= w.length)).data.toString()).toBe(w);
      b.destroy();
    }
    a.destroy();
  } finally {
    await rt.close();
  }
});

test('a client that pipelines without reading is held back: the server stops reading, then answers everything', async () => {
  const port = await freePort();
  const rt = await Runtime.start({
    filename: path.join(dir, 'tasks.js'),
    drivers: 1,
    services: [tcp({ port, drivers: [0], handler: path.join(dir, 'handler.js') })],
  });
  try {
    const key = 'k'.repeat(200);
    const value = 'v'.repeat(1000);
    const reply = `$${value.length}\r\n${value}\r\n`;
    const n = 100000;
    const s = await connect(port);
    s.write(cmd('SET', key, value));
    expect((await readUntil(s, (b) => b.length >= 5)).data.toString()).toBe('+OK\r\n');
    // 22 MB of GETs (100 MB of replies) while we read nothing: far more than the sockets' buffers.
    s.pause();
    const requests = cmd('GET', key).repeat(n);
    s.write(requests);
    // The server's receive buffer may take all of it (tcp_rmem autotunes up to 32 MB here), so
    // what shows the pause is what the server read: its bytes-in counter stops far short.
    const bytesIn = async () => Number(/^gatio_net_bytes_in_total\{[^}]*\} (\d+)/m.exec(await rt.metrics())?.[1]);
    const read = await settled(bytesIn);
    expect(read).not.toBeNull(); // it stopped reading
    expect(read).toBeLessThan(requests.length / 2);
    const gauge = async (name: string) => Number(new RegExp(`^gatio_net_${name}\\{[^}]*\\} (\\d+)`, 'm').exec(await rt.metrics())?.[1]);
    expect(await gauge('paused_connections')).toBe(1);
    expect(await gauge('send_queued_bytes')).toBeGreaterThan(0);

    let got = 0;
    let bad = 0;
    let tail = '';
    s.on('data', (d: Buffer) => {
      got += d.length;
      const text = tail + d.toString('latin1');
      const whole = text.length - (text.length % reply.length);
      for (let i = 0; i < whole; i += reply.length) if (text.startsWith(reply, i) === false) bad++;
      tail = text.slice(whole);
    });
    s.resume();
    const deadline = Date.now() + 30000;
    while (got < n * reply.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(got).toBe(n * reply.length);
    expect(bad).toBe(0);
    expect(await gauge('paused_connections')).toBe(0);
    expect(await gauge('send_queued_bytes')).toBe(0);
    s.destroy();
  } finally {
    await rt.close();
  }
});
