// Half-close: a client sends its commands, then shutdown(SHUT_WR), and reads until the server
// closes. Every command that ran must get its reply first, including replies that come back from
// another driver (examples/resp forwards keys it does not own to their owner), on both back ends.
import * as path from 'node:path';
import { Runtime } from '@gatio/core';
import { tcp } from '@gatio/net';
import { backends, connect, fixture, freePort, readUntil, startServer, within, type Backend } from './net-helpers';

const dir = path.join(__dirname, '..', 'examples', 'resp');
const { ownerOf } = require(path.join(dir, 'store.js')) as { ownerOf: (key: string, drivers: number) => number };
const cmd = (...args: string[]) => `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;

/** A key of client c owned by driver `owner` (of 2). */
function keyOwnedBy(c: number, owner: number): string {
  for (let i = 0; ; i++) {
    const key = `c${c}:${i}`;
    if (ownerOf(key, 2) === owner) return key;
  }
}

/**
 * Client c: n INCRs alternating between a key of driver 0 and one of driver 1 (starting with
 * driver c % 2, so n = 1 reaches both drivers over the clients), then FIN. Resolves with what it
 * read once the server closed, or rejects after ms.
 */
async function incrsThenFin(port: number, c: number, n: number, ms: number): Promise<string> {
  const keys = [keyOwnedBy(c, 0), keyOwnedBy(c, 1)];
  const s = await connect(port);
  let batch = '';
  for (let i = 0; i < n; i++) batch += cmd('INCR', keys[(c + i) % 2]);
  const closed = readUntil(s, () => false, ms);
  s.end(batch); // the commands, then shutdown(SHUT_WR); we keep reading
  const { data, ended } = await closed;
  s.destroy();
  if (!ended) throw new Error(`client ${c}: the server did not close within ${ms} ms (${data.length} bytes read)`);
  return data.toString('latin1');
}

/** What client c must read for n INCRs: per key 1, 2, 3, ... in command order. */
function expected(c: number, n: number): string {
  const count = [0, 0];
  let want = '';
  for (let i = 0; i < n; i++) want += `:${++count[(c + i) % 2]}\r\n`;
  return want;
}

describe.each(backends)('%s back end', (backend: Backend) => {
  let rt: Runtime;
  let port: number;
  beforeAll(async () => {
    port = await freePort();
    rt = await Runtime.start({
      filename: path.join(dir, 'tasks.js'),
      drivers: 2,
      services: [tcp({ port, drivers: [0, 1], handler: path.join(dir, 'handler.js'), backend })],
    });
  });
  afterAll(async () => {
    await rt.close();
  });

  // Each round uses fresh keys (the client numbers differ), so the INCR values are exact.
  let nextClient = 0;
  test.each([1, 10, 1000])('RESP: 50 clients send %i commands each, then FIN: every command gets its reply, then the close', async (n) => {
    const clients = Array.from({ length: 50 }, () => nextClient++);
    const got = await within(Promise.all(clients.map((c) => incrsThenFin(port, c, n, 20000))), 30000, 'the clients');
    const short = clients.filter((c, i) => got[i] !== expected(c, n));
    // On failure, say how many replies each short client got.
    expect(short.map((c) => `client ${c}: ${got[clients.indexOf(c)].split('\r\n').length - 1} of ${n} replies`)).toEqual([]);
  });

  test("a handler's end(conn) promise: the connection stays writable until it settles; a rejection closes it with the error", async () => {
    const { rt: rt2, port: port2 } = await startServer({ handler: fixture('net-end-handler.js'), backend });
    try {
      const s = await connect(port2);
      const read = readUntil(s, () => false, 10000);
      s.end('hello');
      const { data, ended } = await read;
      expect(ended).toBe(true);
      expect(data.toString()).toBe('hello|later'); // written 50 ms after our FIN, before the server's
      s.destroy();

      const r = await connect(port2);
      const closed = new Promise<void>((resolve) => r.once('close', () => resolve()));
      r.on('error', () => {}); // the server may reset: the rejection drops what was queued
      r.resume(); // read (and drop) the echo, so the end and the close are seen
      r.end('reject');
      await within(closed, 10000, 'the close after a rejected end()');

      const q = await connect(port2);
      const answer = readUntil(q, (b) => b.includes(10), 5000);
      q.write('?errors');
      expect((await answer).data.toString().trim()).toBe(JSON.stringify(['end rejected']));
      q.destroy();
    } finally {
      await rt2.close();
    }
  });
});
