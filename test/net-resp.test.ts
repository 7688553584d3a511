// The RESP example on two drivers: pipelined commands answered in order, keys owned per driver
// and reached from any connection through current.run.
import * as path from 'node:path';
import { Runtime } from '@gatio/core';
import { connect, freePort, readUntil } from './net-helpers';

const dir = path.join(__dirname, '..', 'examples', 'resp');
const cmd = (...args: string[]) => `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;

test('pipelined RESP over two drivers: every reply in order, same data from every connection', async () => {
  const port = await freePort();
  const rt = await Runtime.start({
    filename: path.join(dir, 'tasks.js'),
    drivers: 2,
    ports: [{ port, drivers: [0, 1], handler: path.join(dir, 'handler.js') }],
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
