// Hostile input against the examples and the runtime, on real loopback sockets: connection
// floods over maxConnections, slowloris (header and idle timeouts), oversized frames, and fuzzed
// RESP / HTTP (deterministic PRNG, bounded in count and time): never a crash, never a hang.
import * as net from 'node:net';
import * as path from 'node:path';
import { Runtime } from '@gatio/core';
import { tcp } from '@gatio/net';
import { rng } from './helpers';
import { connect, example, freePort, readUntil, sleep, spawnServer, startServer, type ChildServer } from './net-helpers';

const examples = path.join(__dirname, '..', 'examples');

async function startExample(name: string, drivers: number, options: object = {}) {
  const port = await freePort();
  const ids = Array.from({ length: drivers }, (_, i) => i);
  const rt = await Runtime.start({
    filename: path.join(examples, name, 'tasks.js'),
    drivers,
    services: [tcp({ port, drivers: ids, handler: path.join(examples, name, 'handler.js'), ...options })],
  });
  const crashes: unknown[] = [];
  rt.on('crash', (c) => crashes.push(c));
  return { rt, port, crashes };
}

/** Sends `bytes`, returns what came back until the server closed (or `ms` passed). */
async function exchange(port: number, bytes: string | Buffer, ms = 3000) {
  const s = await connect(port);
  s.on('error', () => {});
  const r = readUntil(s, () => false, ms);
  s.write(bytes);
  const out = await r;
  s.destroy();
  return { text: out.data.toString('latin1'), ended: out.ended };
}

test('a flood beyond maxConnections is refused cleanly, then the port serves again', async () => {
  const { rt, port } = await startServer({ options: { maxConnections: 20 } });
  try {
    const sockets = await Promise.all(Array.from({ length: 200 }, () => connect(port)));
    const outcomes = await Promise.all(
      sockets.map((s) => {
        s.on('error', () => {});
        const r = readUntil(s, (b) => b.length >= 2, 5000);
        s.write('hi');
        return r;
      }),
    );
    expect(outcomes.filter((o) => o.data.toString() === 'hi').length).toBe(20);
    expect(outcomes.filter((o) => o.data.length === 0 && o.ended).length).toBe(180);
    for (const s of sockets) s.destroy();
    await sleep(100);
    const s = await connect(port);
    const again = readUntil(s, (b) => b.includes(10));
    s.write('?stats\n');
    const st = JSON.parse((await again).data.toString());
    expect(st.listener.refused).toBe(180);
    expect(st.errors).toEqual([]);
    s.destroy();
  } finally {
    await rt.close();
  }
});

describe('examples/http under hostile clients', () => {
  // A child process: the example's timeouts come from its environment (jest's process.env is a
  // sandbox copy that driver threads would not see).
  let ctx: ChildServer;
  beforeAll(async () => {
    ctx = await spawnServer(example('http'), { env: { GATIO_HTTP_HEADER_TIMEOUT_MS: '300', GATIO_HTTP_IDLE_TIMEOUT_MS: '600' } });
  });
  afterAll(async () => {
    expect(await ctx.stop()).toBe(0);
    expect(ctx.output()).not.toMatch(/crash|Error|Warning/);
  });
  const GET = 'GET / HTTP/1.1\r\nHost: x\r\n\r\n';

  test('slowloris: a header trickled byte by byte gets 408 and is closed; a silent one hits the idle timeout', async () => {
    const slow = await connect(ctx.port);
    const silent = await connect(ctx.port);
    const t0 = Date.now();
    const slowDone = readUntil(slow, () => false, 4000);
    const silentDone = readUntil(silent, () => false, 4000);
    silent.write('GET / HTTP/1.1\r\nHost');
    slow.write('GET / HTTP/1.1\r\n');
    for (let i = 0; i < 30 && !slow.destroyed && slow.writable; i++) {
      slow.write('X');
      await sleep(50);
    }
    const [a, b] = await Promise.all([slowDone, silentDone]);
    expect(a.data.toString()).toMatch(/^HTTP\/1\.1 408 /);
    expect(a.ended).toBe(true);
    expect(b).toEqual({ data: Buffer.alloc(0), ended: true });
    expect(Date.now() - t0).toBeLessThan(2500);
    expect((await exchange(ctx.port, GET.replace('\r\n\r\n', '\r\nConnection: close\r\n\r\n'))).text).toMatch(/^HTTP\/1\.1 200 /);
  });

  test('a request head over 16 KiB gets 431 and the connection closes', async () => {
    const big = `GET / HTTP/1.1\r\nX-Big: ${'a'.repeat(20000)}\r\n\r\n`;
    for (const bytes of [big, big.slice(0, -4)]) {
      const r = await exchange(ctx.port, bytes);
      expect(r.text).toMatch(/^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/);
      expect(r.ended).toBe(true);
    }
    expect((await exchange(ctx.port, 'GET / HTTP/1.1\r\nContent-Length: -5\r\n\r\n')).text).toMatch(/^HTTP\/1\.1 400 /);
  });

  test('fuzzed HTTP (3,000 mutated requests): no crash, no hang, GET still answers', async () => {
    const rand = rng(0x5eed);
    const valid = [GET, 'POST /x HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello', 'GET / HTTP/1.0\r\n\r\n', 'GET / HTTP/1.1\r\nConnection: keep-alive\r\n\r\n'];
    await fuzz(ctx.port, rand, valid, 3000);
    const r = await exchange(ctx.port, 'GET / HTTP/1.1\r\nConnection: close\r\n\r\n');
    expect(r.text).toMatch(/^HTTP\/1\.1 200 OK\r\n[\s\S]*Hello, World!$/);
  });
});

describe('examples/resp under hostile clients', () => {
  let ctx: Awaited<ReturnType<typeof startExample>>;
  beforeAll(async () => {
    ctx = await startExample('resp', 2, { idleTimeoutMs: 2000 });
  });
  afterAll(() => ctx.rt.close());

  test.each([
    ['a bulk length over 1 MiB', '*2\r\n$3\r\nGET\r\n$2000000\r\n', 'invalid bulk length'],
    ['a bulk length that is not a number', '*2\r\n$3\r\nGET\r\n$abc\r\nxx\r\n', 'invalid bulk length'],
    ['too many arguments', '*99999999\r\n', 'invalid multibulk length'],
    ['an inline line over 64 KiB', 'x'.repeat(70000), 'too big inline request'],
    ['a missing $', '*1\r\n:5\r\n', "expected '$', got ':'"],
  ])('%s: a RESP protocol error, then close', async (_what, bytes, message) => {
    const r = await exchange(ctx.port, bytes);
    expect(r.text).toBe(`-ERR Protocol error: ${message}\r\n`);
    expect(r.ended).toBe(true);
  });

  test('fuzzed RESP (3,000 mutated commands over two drivers): no crash, no hang, PING still answers', async () => {
    const rand = rng(0xc0ffee);
    const cmd = (...a: string[]) => `*${a.length}\r\n${a.map((x) => `$${x.length}\r\n${x}\r\n`).join('')}`;
    const valid = [cmd('PING'), cmd('SET', 'k1', 'v'), cmd('GET', 'k1'), cmd('INCR', 'n'), cmd('DEL', 'k1', 'k2'), cmd('ECHO', 'hey'), 'PING\r\n', cmd('EXISTS', 'a', 'b')];
    await fuzz(ctx.port, rand, valid, 3000);
    expect(ctx.crashes).toEqual([]);
    expect(ctx.rt.stats().drivers.map((d) => d.restarts)).toEqual([0, 0]);
    for (let i = 0; i < 4; i++) expect((await exchange(ctx.port, `${cmd('SET', `z${i}`, 'ok')}${cmd('GET', `z${i}`)}QUIT\r\n`)).text).toBe('+OK\r\n$2\r\nok\r\n+OK\r\n');
  });
});

/**
 * Sends `count` inputs (valid ones mutated: bytes flipped, cut, spliced, random digits in length
 * headers, random bytes) in rounds of 10 per connection (most malformed ones end it); a round ends when the server closes the
 * connection or 30 ms after the last write. Bounded at 15 s.
 */
async function fuzz(port: number, rand: () => number, valid: string[], count: number): Promise<void> {
  const deadline = Date.now() + 15000;
  const pick = <T>(xs: T[]) => xs[Math.floor(rand() * xs.length)];
  const mutate = (): Buffer => {
    const b = Buffer.from(pick(valid), 'latin1');
    switch (Math.floor(rand() * 6)) {
      case 0: // flip bytes
        for (let k = 0; k < 1 + rand() * 4; k++) b[Math.floor(rand() * b.length)] = Math.floor(rand() * 256);
        return b;
      case 1: // cut
        return b.subarray(0, Math.floor(rand() * b.length));
      case 2: // splice two
        return Buffer.concat([b.subarray(0, Math.floor(rand() * b.length)), Buffer.from(pick(valid)).subarray(Math.floor(rand() * 8))]);
      case 3: // numbers replaced by random ones (lengths, counts)
        return Buffer.from(b.toString('latin1').replace(/\d+/g, () => String(Math.floor(rand() * 3 ** (1 + rand() * 20)) - 2)), 'latin1');
      case 4: // random bytes
        return Buffer.from(Array.from({ length: 1 + Math.floor(rand() * 64) }, () => Math.floor(rand() * 256)));
      default:
        return b;
    }
  };
  let sent = 0;
  while (sent < count && Date.now() < deadline) {
    const s = net.connect(port, '127.0.0.1');
    s.on('error', () => {});
    await new Promise<void>((r) => {
      s.once('connect', r);
      s.once('close', r);
    });
    const closed = new Promise<void>((r) => s.once('close', () => r()));
    for (let k = 0; k < 10 && sent < count && !s.destroyed; k++, sent++) s.write(mutate());
    s.resume();
    await Promise.race([closed, sleep(30)]);
    s.destroy();
  }
  expect(sent).toBe(count);
}
