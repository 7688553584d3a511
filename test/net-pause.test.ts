// conn.pause() / resume(): read backpressure on real loopback sockets, on both back ends.
import { createHash, randomBytes } from 'node:crypto';
import { backends, connect, fixture, readBytes, readUntil, settled, sleep, startServer as start, writeAll, type Backend } from './net-helpers';

const handler = fixture('net-pause-handler.js');
const sha = (b: Buffer) => createHash('sha1').update(b).digest('hex');

describe.each(backends)('%s back end', (backend: Backend) => {
  const startServer = () => start({ handler, backend });

  test('a paused connection receives nothing, the peer is held back by TCP, and resume() delivers every byte in order', async () => {
    const { rt, port } = await startServer();
    try {
      const s = await connect(port);
      const paused = readUntil(s, (b) => b.length >= 1);
      s.write('P');
      expect((await paused).data.toString()).toBe('P'); // echoed, then the server paused

      // 32 MiB is far more than the server's receive buffer and our send buffer hold together.
      const payload = randomBytes(32 << 20);
      const all = readBytes(s, payload.length);
      let echoed = 0;
      s.on('data', (d: Buffer) => (echoed += d.length));
      s.write(payload);
      // The kernel stops taking our bytes: most of them wait in node:net, and none move any more.
      const left = await settled(() => s.writableLength);
      expect(left).toBeGreaterThan(8 << 20);
      expect(echoed).toBe(0); // no data() while paused

      const u = await connect(port);
      u.write('U'); // resumes every paused 'P' connection of the driver
      const data = await all;
      expect(data.length).toBe(payload.length);
      expect(sha(data)).toBe(sha(payload));
      s.destroy();
      u.destroy();
    } finally {
      await rt.close();
    }
  });

  test("the peer's EOF waits behind the held bytes: data first, then the end", async () => {
    const { rt, port } = await startServer();
    try {
      const s = await connect(port);
      const first = readUntil(s, (b) => b.length >= 1);
      s.write('P');
      await first; // echoed, then the server paused
      s.end('abc'); // bytes and FIN while the server is paused
      await sleep(200);
      const rest = readUntil(s, () => false, 10000);
      const u = await connect(port);
      u.write('U');
      const { data, ended } = await rest;
      expect(data.toString()).toBe('abc');
      expect(ended).toBe(true); // the default end(): the server ended after echoing
      u.destroy();
    } finally {
      await rt.close();
    }
  });

  test('pause and resume at random (same turn, microtask, setImmediate, timer) on 4 connections: byte-exact', async () => {
    const { rt, port } = await startServer();
    try {
      const runs = Array.from({ length: 4 }, async () => {
        const s = await connect(port);
        const payload = randomBytes(4 << 20);
        payload[0] = 'R'.charCodeAt(0);
        const back = readBytes(s, payload.length);
        await writeAll(s, payload);
        const data = await back;
        s.destroy();
        return data.length === payload.length && sha(data) === sha(payload);
      });
      expect(await Promise.all(runs)).toEqual([true, true, true, true]);
    } finally {
      await rt.close();
    }
  });
});
