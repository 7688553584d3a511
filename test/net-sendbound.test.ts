// A client that sends without reading what it is sent must not grow the server without bound:
// the echo and HTTP examples stop reading while write() returns false (conn.pause, resume on
// drain), and the runtime closes a connection of a naive handler past maxQueuedSendBytes.
import * as fs from 'node:fs';
import type * as net from 'node:net';
import { SendQueueOverflowError, validatePorts } from '@gatio/net';
import { backends, connect, example, readBytes, readUntil, spawnServer, startServer, within, type Backend } from './net-helpers';

/** Resident memory of a process in bytes (/proc/PID/status VmRSS). */
function rss(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m === null ? 0 : Number(m[1]) * 1024;
}

/**
 * Writes `chunk` again and again while not reading, honouring the socket's backpressure, until
 * `limit` bytes were written, the socket closed, or no drain came for `stallMs` (the server
 * stopped reading and TCP holds us back). Returns the bytes written (node:net delivers them all
 * once the server reads again) and why it stopped.
 */
async function sendWithoutReading(s: net.Socket, chunk: Buffer, limit: number, stallMs: number): Promise<{ sent: number; why: 'limit' | 'stalled' | 'closed' }> {
  s.pause();
  let sent = 0;
  while (sent < limit) {
    if (s.destroyed || s.closed) return { sent, why: 'closed' };
    const more = s.write(chunk);
    sent += chunk.length;
    if (more) continue;
    const drained = await new Promise<boolean>((resolve) => {
      const done = (ok: boolean) => {
        clearTimeout(timer);
        s.off('drain', onDrain);
        s.off('close', onClose);
        resolve(ok);
      };
      const timer = setTimeout(() => done(false), stallMs);
      const onDrain = () => done(true);
      const onClose = () => done(false);
      s.once('drain', onDrain);
      s.once('close', onClose);
    });
    if (!drained) return { sent, why: s.destroyed || s.closed ? 'closed' : 'stalled' };
  }
  return { sent, why: 'limit' };
}

const MB = 1 << 20;

const REQUEST = 'GET / HTTP/1.1\r\nHost: localhost\r\n\r\n';
const BODY = 'Hello, World!';
const ANSWER = `HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${BODY.length}\r\nConnection: keep-alive\r\n\r\n${BODY}`;

describe('examples stop reading a client that does not read its replies (server RSS stays bounded)', () => {
  // Without pausing, the server read all of it and queued the replies (on the old examples about
  // twice the bytes sent in RSS; under the runtime's 64 MiB bound, the connection is closed).
  const cases: Array<[string, Buffer, (sent: number) => number]> = [
    ['echo', Buffer.alloc(64 * 1024, 'e'), (sent) => sent],
    // Pipelined keep-alive requests: each answer is about 3x its request.
    ['http', Buffer.from(REQUEST.repeat(1024)), (sent) => (sent / REQUEST.length) * ANSWER.length],
  ];
  test.each(cases)('%s: 256 MB offered without reading: the server stops reading and stays small, then answers everything', async (name, chunk, answers) => {
    const server = await spawnServer(example(name));
    try {
      const before = rss(server.pid);
      const s = await connect(server.port);
      s.on('error', () => {});
      const { sent, why } = await within(sendWithoutReading(s, chunk, 256 * MB, 3000), 120000, 'sending');
      const grown = rss(server.pid) - before;
      expect(why).toBe('stalled'); // held back by TCP, not closed and not read to the end
      expect(grown).toBeLessThan(96 * MB);
      // Now read: everything sent is answered, on the same connection.
      const reading = readBytes(s, answers(sent), 60000);
      s.resume();
      const got = await reading;
      expect(got.length).toBe(answers(sent));
      expect(s.destroyed).toBe(false);
      s.destroy();
    } finally {
      await server.stop();
    }
  });
});

describe.each(backends)('%s back end: a naive handler (never pauses) under a client that does not read', (backend: Backend) => {
  test('the connection is closed past maxQueuedSendBytes with GATIO_ERR_SEND_QUEUE_OVERFLOW, counted in the metrics', async () => {
    // The probe handler echoes everything and ignores write() returning false.
    const { rt, port } = await startServer({ backend, options: { maxQueuedSendBytes: 4 * MB } });
    try {
      const s = await connect(port);
      s.on('error', () => {}); // the server's close may come as a reset
      // The kernel buffers take up to ~40 MB here (tcp_rmem max 32 MB plus tcp_wmem 4 MB), then the
      // echo queues in the server until the bound closes the connection.
      const { why } = await within(sendWithoutReading(s, Buffer.alloc(64 * 1024, 'n'), 512 * MB, 10000), 120000, 'sending');
      expect(why).toBe('closed');
      const q = await connect(port);
      const stats = readUntil(q, (b) => b.includes(10), 5000);
      q.write('?stats\n');
      const seen = JSON.parse((await stats).data.toString()) as { errors: string[] };
      expect(seen.errors).toEqual(['GATIO_ERR_SEND_QUEUE_OVERFLOW']);
      q.destroy();
      const metrics = await rt.metrics();
      expect(/^gatio_net_send_queue_overflows_total\{[^}]*\} (\d+)/m.exec(metrics)?.[1]).toBe('1');
      expect(/^gatio_net_send_queued_bytes\{[^}]*\} (\d+)/m.exec(metrics)?.[1]).toBe('0');
    } finally {
      await rt.close();
    }
  });
});

test('maxQueuedSendBytes: 64 MiB by default, a positive integer or Infinity, at least highWaterMark, TCP only', () => {
  const drivers = [{ id: 0 }];
  const port = (options?: object, transport = 'tcp') => validatePorts([{ port: 0, drivers: [0], handler: '/h.js', transport, options }], drivers)[0];
  expect(port().options).toMatchObject({ maxQueuedSendBytes: 64 * MB });
  expect(port({ maxQueuedSendBytes: Infinity }).options).toMatchObject({ maxQueuedSendBytes: Infinity });
  expect(() => port({ maxQueuedSendBytes: 0 })).toThrow('ports[0].options.maxQueuedSendBytes must be a positive integer or Infinity, got 0');
  expect(() => port({ maxQueuedSendBytes: '1' })).toThrow(/maxQueuedSendBytes must be a positive integer/);
  expect(() => port({ maxQueuedSendBytes: 1000 })).toThrow('ports[0].options.maxQueuedSendBytes (1000) must be at least highWaterMark (65536)');
  expect(port({ maxQueuedSendBytes: 1000, highWaterMark: 1000 }).options).toMatchObject({ maxQueuedSendBytes: 1000 });
  expect(() => port({ maxQueuedSendBytes: MB }, 'udp')).toThrow(/maxQueuedSendBytes is not an option of a udp port/);
  const err = new SendQueueOverflowError(5, 4);
  expect(err.code).toBe('GATIO_ERR_SEND_QUEUE_OVERFLOW');
  expect(err.message).toMatch(/conn.pause\(\)/);
});
