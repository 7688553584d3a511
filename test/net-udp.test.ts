// gatio-net UDP on real loopback sockets, served by io_uring drivers started through Runtime.
import { randomBytes } from 'node:crypto';
import * as net from 'node:net';
import { attachDriver, checkReports, validatePorts, HAS_REUSE_PORT, HandlerLoadError, InvalidPortConfigError, PortConfigMismatchError } from '@gatio/net';
import { fixture, freePort, startUdp, UdpClient } from './net-udp-helpers';

const stats = async (c: UdpClient, port: number, host = '127.0.0.1') => JSON.parse(String(await c.ask('?stats', port, host)));

/** Every size from 1 to 1600, then every 97th up to 65,507, and 65,507 itself. */
const sizes = [...Array.from({ length: 1600 }, (_, i) => i + 1), ...Array.from({ length: 660 }, (_, i) => 1601 + i * 97).filter((n) => n < 65507), 65507];

async function echoSizes(c: UdpClient, port: number, host: string, list: number[]): Promise<number[]> {
  const bad: number[] = [];
  for (const n of list) {
    const payload = randomBytes(n);
    payload[0] = 0; // never a '?' question
    const back = await c.ask(payload, port, host);
    if (back === null || !back.equals(payload)) bad.push(n);
  }
  return bad;
}

const only = (cond: boolean, why: string) => {
  if (!cond) console.log(`skipped: ${why}`);
  return cond ? test : test.skip;
};

describe.each(['io_uring', 'libuv'] as const)('%s back end', (backend) => {
  const ioUring = backend === 'io_uring';
  describe('udp echo', () => {
    test('IPv4: byte-exact for sizes 1..65,507', async () => {
      const port = await freePort();
      const rt = await startUdp([{ port }], 1, backend);
      const c = await UdpClient.open('udp4');
      try {
        expect(await echoSizes(c, port, '127.0.0.1', sizes)).toEqual([]);
        const remote = JSON.parse(String(await c.ask('?remote', port)));
        expect(remote).toEqual({ address: '127.0.0.1', port: c.socket.address().port, family: 'IPv4' });
      } finally {
        c.close();
        await rt.close();
      }
    });

    test('IPv4 and IPv6 (::1) on the same port number, each its own socket per driver', async () => {
      const port = await freePort();
      const rt = await startUdp([{ port }, { port, host: '::1' }], 1, backend);
      const c4 = await UdpClient.open('udp4');
      const c6 = await UdpClient.open('udp6');
      try {
        const some = [1, 2, 100, 1200, 1500, 9000, 32768, 65507];
        expect(await echoSizes(c4, port, '127.0.0.1', some)).toEqual([]);
        expect(await echoSizes(c6, port, '::1', some)).toEqual([]);
        const remote = JSON.parse(String(await c6.ask('?remote', port, '::1')));
        expect(remote).toEqual({ address: '::1', port: c6.socket.address().port, family: 'IPv6' });
      } finally {
        c4.close();
        c6.close();
        await rt.close();
      }
    });

    only(ioUring, 'provided buffer rings (-ENOBUFS) exist only on io_uring')('a burst larger than the buffer ring (4 buffers) ends the recvmsg with -ENOBUFS; it is re-armed and keeps serving', async () => {
      const port = await freePort();
      const rt = await startUdp([{ port, options: { bufferSize: 2048, bufferCount: 4 } }]);
      const c = await UdpClient.open('udp4');
      try {
        const burst = 2000;
        const msg = Buffer.alloc(64, 7);
        for (let i = 0; i < burst; i++) c.socket.send(msg, port, '127.0.0.1');
        let got = 0;
        const t0 = Date.now();
        while (got < burst && Date.now() - t0 < 5000) if ((await c.next(300)) === null) break;
        else got++;
        const s = await stats(c, port);
        expect(s.enobufs).toBeGreaterThan(0);
        expect(s.rearms).toBeGreaterThanOrEqual(s.enobufs);
        // Loopback UDP drops under load (the socket buffer fills while the ring is dry): the point is
        // that the receive was re-armed and keeps serving, not how much of the burst survived.
        expect(got).toBeGreaterThan(0);
        for (let i = 0; i < 20; i++) expect(String(await c.ask(`after ${i}`, port))).toBe(`after ${i}`);
      } finally {
        c.close();
        await rt.close();
      }
    });

    only(ioUring, 'node:dgram receives into a 64 KiB buffer: nothing to truncate')('a datagram longer than the buffer is reported as truncated (not echoed cut)', async () => {
      const port = await freePort();
      const rt = await startUdp([{ port, options: { bufferSize: 1024, bufferCount: 8 } }]);
      const c = await UdpClient.open('udp4');
      try {
        await c.send(Buffer.alloc(2000, 1), port);
        expect(await c.next(500)).toBeNull();
        const fits = Buffer.alloc(1024 - 44, 2);
        expect((await c.ask(fits, port))?.equals(fits)).toBe(true);
        const s = await stats(c, port);
        expect(s.truncated).toBe(1);
        expect(s.errors).toEqual([expect.objectContaining({ code: 'GATIO_ERR_DATAGRAM_TRUNCATED', size: 2000, received: 980 })]);
        expect(s.errors[0].message).toMatch(/raise bufferSize to at least 2048/);
      } finally {
        c.close();
        await rt.close();
      }
    });
  });

  describe('udp placement', () => {
    test('TCP on driver 0, UDP on driver 1, and a hybrid UDP port on driver 0: checked by OS thread id', async () => {
      const tcpPort = await freePort();
      const udpPort = await freePort();
      const hybridPort = await freePort();
      const rt = await startUdp(
        [
          { port: tcpPort, transport: 'tcp', drivers: [0], handler: fixture('net-udp-tcp-handler.js') },
          { port: udpPort, drivers: [1] },
          { port: hybridPort, drivers: [0] },
        ],
        2,
        backend,
      );
      const c = await UdpClient.open('udp4');
      try {
        const [d0, d1] = rt.drivers.map((d) => d.threadId);
        expect(d0).not.toBe(d1);
        const tcp = await new Promise<string>((resolve, reject) => {
          const s = net.connect(tcpPort, '127.0.0.1', () => s.write('?driver\n'));
          s.once('data', (d) => {
            s.destroy();
            resolve(d.toString().trim());
          });
          s.once('error', reject);
        });
        expect(tcp).toBe(`driver 0 tid ${d0}`);
        expect(String(await c.ask('?driver', udpPort))).toBe(`driver 1 tid ${d1}`);
        expect(String(await c.ask('?driver', hybridPort))).toBe(`driver 0 tid ${d0}`);
      } finally {
        c.close();
        await rt.close();
      }
    });

    only(ioUring || HAS_REUSE_PORT, 'node:dgram has no reusePort below Node 22.12: one driver binds a libuv port')('one UDP port on two drivers: flows from many source ports reach both', async () => {
      const port = await freePort();
      const rt = await startUdp([{ port, drivers: [0, 1] }], 2, backend);
      const clients = await Promise.all(Array.from({ length: 32 }, () => UdpClient.open('udp4')));
      try {
        const seen = new Set<string>();
        for (const c of clients) seen.add(String(await c.ask('?driver', port)).split(' tid')[0]);
        expect([...seen].sort()).toEqual(['driver 0', 'driver 1']);
      } finally {
        for (const c of clients) c.close();
        await rt.close();
      }
    });
  });
});

describe('udp config', () => {
  const drivers = [{ id: 0 }, { id: 1 }];
  const base = { port: 7000, transport: 'udp', drivers: [0, 1], handler: fixture('net-udp-handler.js') };

  test.each([
    [{ ...base, options: { backlog: 5 } }, /ports\[0\]\.options\.backlog is not an option of a udp port \(known: bufferSize, bufferCount\)/],
    [{ ...base, options: { bufferSize: 100 } }, /ports\[0\]\.options\.bufferSize must be a multiple of 8 from 128/],
    [{ ...base, transport: 'sctp' }, /ports\[0\]\.transport must be 'tcp' or 'udp'/],
    [[base, { ...base }], /ports\[1\] declares udp 127\.0\.0\.1:7000 again/],
  ])('validatePorts rejects %j', (spec, message) => {
    const ports = Array.isArray(spec) ? spec : [spec];
    expect(() => validatePorts(ports, drivers)).toThrow(InvalidPortConfigError);
    expect(() => validatePorts(ports, drivers)).toThrow(message);
  });

  test('TCP and UDP, IPv4 and IPv6 may share a port number; UDP defaults fit any datagram', () => {
    const ports = validatePorts([base, { ...base, transport: 'tcp', handler: fixture('net-probe-handler.js') }, { ...base, host: '::1' }], drivers);
    expect(ports.map((p) => p.transport)).toEqual(['udp', 'tcp', 'udp']);
    expect(ports[0].options).toEqual({ bufferSize: 65600, bufferCount: 256 });
  });

  test('a mismatched UDP port configuration is refused with GATIO_ERR_PORT_CONFIG_MISMATCH', async () => {
    const ports = validatePorts([{ ...base, port: await freePort() }], drivers);
    const a = await attachDriver({ driver: 0, ports });
    const b = await attachDriver({ driver: 1, ports });
    try {
      expect(() => checkReports(ports, [a.report, b.report])).not.toThrow();
      const tampered = structuredClone(b.report);
      (tampered.ports[0].options as { bufferCount: number }).bufferCount = 8;
      expect(() => checkReports(ports, [a.report, tampered])).toThrow(PortConfigMismatchError);
      expect(() => checkReports(ports, [a.report, tampered])).toThrow(
        new RegExp(`udp port ${ports[0].port}: driver 1 loaded options.bufferCount = 8 but the runtime declared 256`),
      );
      const asTcp = structuredClone(b.report);
      asTcp.ports[0].transport = 'tcp';
      expect(() => checkReports(ports, [a.report, asTcp])).toThrow(/udp port \d+: driver 1 loaded port = "not served"/);
      const otherFile = structuredClone(b.report);
      otherFile.ports[0].handlerHash = 'deadbeef';
      expect(() => checkReports(ports, [a.report, otherFile])).toThrow(/driver 1 loaded handler contents \(sha1\)/);
    } finally {
      a.destroy();
      b.destroy();
    }
  });

  test('a UDP handler without message() is refused with GATIO_ERR_HANDLER_LOAD', async () => {
    const ports = validatePorts([{ ...base, handler: fixture('net-udp-tcp-handler.js') }], drivers);
    await expect(attachDriver({ driver: 0, ports })).rejects.toThrow(HandlerLoadError);
    await expect(attachDriver({ driver: 0, ports })).rejects.toThrow(/message\(socket, bytes, remote\)/);
  });
});
