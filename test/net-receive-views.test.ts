// What a handler can reach through the `bytes` it receives, on real loopback sockets: the memory
// behind the view (`bytes.buffer`) holds nothing of any other client, user code that transfers or
// detaches it does not break the driver, and bytes of one port's receive written (over 64 KiB) to
// a connection of another port arrive intact. Handler: fixtures/net-view-handler.js.
import * as net from 'node:net';
import { Runtime } from '@gatio/core';
import { tcp, udp } from '@gatio/net';
import { connect, echo, fixture, freePort, readBytes, readUntil, writeAll } from './net-helpers';
import { UdpClient } from './net-udp-helpers';

const handler = fixture('net-view-handler.js');
const SECRET = 'TOP' + 'SECRET'; // the marker the handler looks for; never in a '?' question

/** Every client socket a test opened, destroyed after it whatever happened (no open handle can hang jest). */
const clients = new Set<net.Socket | UdpClient>();
afterEach(() => {
  for (const c of clients) {
    if (c instanceof UdpClient) c.close();
    else c.destroy();
  }
  clients.clear();
});
async function client(port: number): Promise<net.Socket> {
  const s = await connect(port);
  clients.add(s);
  return s;
}

async function line(s: net.Socket, q: string | Buffer): Promise<string> {
  const r = readUntil(s, (b) => b.includes(10), 5000);
  s.write(q);
  return (await r).data.toString().trim();
}

async function tcpRuntime(ports: Array<{ port: number; options?: object }>) {
  return Runtime.start({
    filename: fixture('net-tasks.js'),
    drivers: 1,
    services: ports.map((p) => tcp({ port: p.port, host: '127.0.0.1', drivers: [0], handler, ...p.options })),
  });
}

test("TCP: bytes.buffer shows none of another connection's bytes", async () => {
  const port = await freePort();
  // One small buffer ring: every connection's receives go through the same few buffers.
  const rt = await tcpRuntime([{ port, options: { bufferCount: 2, bufferSize: 4096 } }]);
  try {
    const a = await client(port);
    const b = await client(port);
    expect(await echo(b, `${SECRET} of client b, received first`)).toBe(`${SECRET} of client b, received first`);
    expect(await line(a, '?peek\n')).toBe('unseen');
    const c = await client(port);
    expect(await line(c, '?peek\n')).toBe('unseen');
  } finally {
    await rt.close();
  }
});

test('TCP: a handler that transfers or detaches bytes.buffer leaves the driver serving every connection', async () => {
  const port = await freePort();
  const rt = await tcpRuntime([{ port, options: { bufferCount: 2, bufferSize: 4096 } }]);
  try {
    const a = await client(port);
    const b = await client(port);
    expect(await line(a, '?transfer\n')).toBe('detached 0');
    expect(await line(b, '?post\n')).toBe('detached 0');
    // Both connections, and a new one, are still served; the driver never died.
    expect(await echo(a, 'after a')).toBe('after a');
    expect(await echo(b, 'after b')).toBe('after b');
    const c = await client(port);
    expect(await echo(c, 'new client c')).toBe('new client c');
    expect(rt.stats().drivers[0].restarts).toBe(0);
  } finally {
    await rt.close();
  }
});

async function udpRuntime(port: number) {
  return Runtime.start({
    filename: fixture('net-tasks.js'),
    drivers: 1,
    services: [udp({ port, host: '127.0.0.1', drivers: [0], handler, bufferCount: 2 })],
  });
}

test("UDP: bytes.buffer shows none of another peer's datagram", async () => {
  const port = await freePort();
  const rt = await udpRuntime(port);
  try {
    const a = await UdpClient.open();
    const b = await UdpClient.open();
    clients.add(a).add(b);
    const long = `a long datagram from b with its ${SECRET} far past the questions' length`;
    expect(String(await b.ask(long, port))).toBe(long);
    expect(String(await a.ask('?peek', port))).toBe('unseen');
  } finally {
    await rt.close();
  }
});

test('UDP: a handler that transfers or detaches bytes.buffer leaves the socket serving', async () => {
  const port = await freePort();
  const rt = await udpRuntime(port);
  try {
    const a = await UdpClient.open();
    const b = await UdpClient.open();
    clients.add(a).add(b);
    expect(String(await a.ask('?transfer', port))).toBe('detached 0');
    expect(String(await b.ask('?post', port))).toBe('detached 0');
    expect(String(await a.ask('after a', port))).toBe('after a');
    expect(String(await b.ask('after b', port))).toBe('after b');
    expect(rt.stats().drivers[0].restarts).toBe(0);
  } finally {
    await rt.close();
  }
});

test("write() of over 64 KiB received on another port's connection: every byte arrives intact", async () => {
  // Port `source` receives in 256 KiB buffers (two of them, recycled all the time); the handler
  // writes each chunk it receives there to the sink connection on port `sinkPort`, which its
  // client does not read until the whole stream was sent: the sink's sends stay queued and partial
  // for a long while, long after the source's buffers took new bytes.
  const [sinkPort, source] = [await freePort(), await freePort()];
  const rt = await tcpRuntime([{ port: sinkPort }, { port: source, options: { bufferSize: 256 * 1024, bufferCount: 2 } }]);
  try {
    const sink = await client(sinkPort);
    expect(await line(sink, '?sink\n')).toBe('sink');
    sink.pause();
    const payload = Buffer.alloc(16 << 20);
    for (let i = 0; i < payload.length; i++) payload[i] = 65 + ((i * 7 + (i >> 12)) % 26); // letters only, never '?'
    const src = await client(source);
    await writeAll(src, payload);
    const got = readBytes(sink, payload.length, 60000);
    sink.resume();
    const data = await got;
    expect(data.length).toBe(payload.length);
    expect(data.equals(payload)).toBe(true);
    // The case under test happened: chunks over 64 KiB (sent from place, not copied) were written.
    const ask = await client(sinkPort);
    expect(Number((await line(ask, '?big\n')).split(' ')[1])).toBeGreaterThan(0);
  } finally {
    await rt.close();
  }
});
