// tcp() / udp() options: validation messages, the per-driver configuration check, handler loading.
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { InvalidOptionError, type DriverInfo, type ServicePlan } from '@gatio/core';
import { checkReports, tcp, udp, InvalidPortConfigError, PortConfigMismatchError, attachDriver, HandlerLoadError, type NormalizedPort } from '@gatio/net';
import { fixture, freePort } from './net-helpers';

const drivers: DriverInfo[] = [
  { id: 0, tpc: 0, cpu: 0, kind: 'hybrid' },
  { id: 1, tpc: 0, cpu: 1, kind: 'io' },
];
const ctx = { drivers, defaultDrivers: [0, 1] };
const base = { port: 7000, handler: fixture('net-probe-handler.js') };
/** The normalized port a tcp() service plans (what each driver gets). */
const planTcp = (o: object): NormalizedPort => (tcp({ ...base, ...o }).plan(ctx) as ServicePlan).config as NormalizedPort;

test.each([
  [{ drivers: [0, 5] }, /tcp\(\)\.drivers names unknown driver 5; this runtime has drivers \[0, 1\]/],
  [{ port: 70000 }, /tcp\(\)\.port must be an integer from 0 to 65535/],
  [{ bufferCount: 3 }, /tcp\(\)\.bufferCount must be a power of two/],
  [{ idleTimeoutMs: -1 }, /tcp\(\)\.idleTimeoutMs must be a non-negative integer/],
  [{ host: 'localhost' }, /tcp\(\)\.host must be an IPv4 or IPv6 literal/],
  [{ backend: 'epoll' }, /tcp\(\)\.backend must be 'io_uring' or 'libuv', got epoll/],
  [{ fallback: 'yes' }, /tcp\(\)\.fallback must be 'libuv' \(node:net \/ node:dgram where io_uring is blocked\) or 'none', got yes/],
])('tcp(%j) is refused with a message naming the field', (o, message) => {
  expect(() => planTcp(o)).toThrow(InvalidPortConfigError);
  expect(() => planTcp(o)).toThrow(message);
});

test.each([
  [{ bogus: 1 }, /'tcp\(\)\.bogus'/],
  [{ handler: '' }, /'tcp\(\)\.handler'/],
  [{ handler: 'h.js' }, /new URL\('\.\/handler\.js', import\.meta\.url\)/],
  [{ handler: new URL('https://example.com/h.js') }, /'tcp\(\)\.handler'.*file URL/],
  [{ drivers: [] }, /'tcp\(\)\.drivers'/],
])('tcp(%j) is an InvalidOptionError', (o, message) => {
  expect(() => planTcp(o)).toThrow(InvalidOptionError);
  expect(() => planTcp(o)).toThrow(message);
});

test('a service on an exec driver is refused, naming the driver', () => {
  const withExec = { drivers: [...drivers, { id: 2, tpc: 0, cpu: 2, kind: 'exec' as const }], defaultDrivers: [0, 1] };
  expect(() => tcp({ ...base, drivers: [2] }).plan(withExec)).toThrow(/driver 2 is an exec driver/);
  // udp options are udp's: a tcp-only option is refused by name.
  expect(() => udp({ ...base, maxConnections: 3 } as never).plan(ctx)).toThrow(/'udp\(\)\.maxConnections'/);
});

test('options are top-level fields, defaults filled; a file URL handler is a path on the drivers', () => {
  const p = planTcp({ handler: pathToFileURL(fixture('net-probe-handler.js')), maxConnections: 10 });
  expect(p.handler).toBe(fixture('net-probe-handler.js'));
  expect(p.drivers).toEqual([0, 1]);
  expect(p.options).toMatchObject({ maxConnections: 10, bufferSize: 16384, bufferCount: 256, highWaterMark: 65536, idleTimeoutMs: 0 });
  expect(structuredClone(p)).toEqual(p);
  expect(path.isAbsolute(p.handler)).toBe(true);
});

test('checkReports names the port, the driver and the differing field', async () => {
  const ports = [planTcp({ port: await freePort() })];
  const a = await attachDriver({ driver: 0, ports });
  const b = await attachDriver({ driver: 1, ports });
  try {
    expect(() => checkReports(ports, [a.report, b.report])).not.toThrow();
    const tampered = structuredClone(b.report);
    (tampered.ports[0].options as { highWaterMark: number }).highWaterMark = 1;
    expect(() => checkReports(ports, [a.report, tampered])).toThrow(PortConfigMismatchError);
    expect(() => checkReports(ports, [a.report, tampered])).toThrow(
      new RegExp(`port ${ports[0].port}: driver 1 loaded options.highWaterMark = 1 but the runtime declared 65536`),
    );
    const otherFile = structuredClone(b.report);
    otherFile.ports[0].handlerHash = 'deadbeef';
    expect(() => checkReports(ports, [a.report, otherFile])).toThrow(/driver 1 loaded handler contents \(sha1\)/);
    expect(() => checkReports(ports, [a.report, undefined])).toThrow(/driver 1 loaded port = "not served"/);
  } finally {
    a.destroy();
    b.destroy();
  }
});

test('a handler without data() is refused with GATIO_ERR_HANDLER_LOAD', async () => {
  const ports = [planTcp({ handler: fixture('net-tasks.js') })];
  await expect(attachDriver({ driver: 0, ports })).rejects.toThrow(HandlerLoadError);
});

test("fallback: 'libuv' where the probe finds io_uring available still serves on io_uring", async () => {
  const { ioUringProbe } = require('@gatio/native');
  const p = planTcp({ port: await freePort(), drivers: [0], fallback: 'libuv' });
  const h = await attachDriver({ driver: 0, ports: [p] });
  try {
    expect(ioUringProbe().available).toBe(true);
    expect(h.net).not.toBeNull();
    expect(h.libuv ?? null).toBeNull();
  } finally {
    await h.close();
  }
});
