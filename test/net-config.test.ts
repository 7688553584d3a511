// Port declarations: validation messages, the per-driver configuration check, handler loading.
import * as path from 'node:path';
import { checkReports, validatePorts, InvalidPortConfigError, PortConfigMismatchError, attachDriver, HandlerLoadError } from '@gatio/net';
import { fixture, freePort } from './net-helpers';

const drivers = [{ id: 0 }, { id: 1 }];
const base = { port: 7000, drivers: [0, 1], handler: fixture('net-probe-handler.js') };

test.each([
  [{ ...base, drivers: [0, 5] }, /ports\[0\]\.drivers names unknown driver 5; this runtime has drivers \[0, 1\]/],
  [{ ...base, transport: 'sctp' }, /ports\[0\]\.transport must be 'tcp'/],
  [{ ...base, port: 70000 }, /ports\[0\]\.port must be an integer from 0 to 65535/],
  [{ ...base, options: { bufferCount: 3 } }, /ports\[0\]\.options\.bufferCount must be a power of two/],
  [{ ...base, options: { idleTimeoutMs: -1 } }, /ports\[0\]\.options\.idleTimeoutMs must be a non-negative integer/],
  [{ ...base, options: { bogus: 1 } }, /ports\[0\]\.options\.bogus is not an option/],
  [{ ...base, handler: '' }, /ports\[0\]\.handler must be a module path/],
  [{ ...base, host: 'localhost' }, /ports\[0\]\.host must be an IPv4 or IPv6 literal/],
  [{ ...base, backend: 'epoll' }, /ports\[0\]\.backend must be 'io_uring' or 'libuv', got epoll/],
  [{ ...base, fallback: 'yes' }, /ports\[0\]\.fallback must be 'libuv' \(node:net \/ node:dgram where io_uring is blocked\) or 'none', got yes/],
])('validatePorts rejects %j', (spec, message) => {
  expect(() => validatePorts([spec], drivers)).toThrow(InvalidPortConfigError);
  expect(() => validatePorts([spec], drivers)).toThrow(message);
});

test('validatePorts resolves relative handlers against baseDir (else process.cwd()) and fills defaults', () => {
  const [p] = validatePorts([{ ...base, handler: 'h.js' }], drivers, { baseDir: '/srv/app' });
  expect(p.handler).toBe('/srv/app/h.js');
  expect(p.options).toMatchObject({ bufferSize: 16384, bufferCount: 256, highWaterMark: 65536, idleTimeoutMs: 0 });
  expect(validatePorts([{ ...base, handler: 'h.js' }], drivers)[0].handler).toBe(path.resolve('h.js'));
  expect(structuredClone(p)).toEqual(p);
});

test('checkReports names the port, the driver and the differing field', async () => {
  const ports = validatePorts([{ ...base, port: await freePort() }], drivers);
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
  const ports = validatePorts([{ ...base, handler: fixture('net-tasks.js') }], drivers);
  await expect(attachDriver({ driver: 0, ports })).rejects.toThrow(HandlerLoadError);
});

test("fallback: 'libuv' where the probe finds io_uring available still serves on io_uring", async () => {
  const { ioUringProbe } = require('@gatio/native');
  const port = await freePort();
  const [p] = validatePorts([{ ...base, port, drivers: [0], fallback: 'libuv' }], drivers);
  const h = await attachDriver({ driver: 0, ports: [p] });
  try {
    expect(ioUringProbe().available).toBe(true);
    expect(h.net).not.toBeNull();
    expect(h.libuv ?? null).toBeNull();
  } finally {
    await h.close();
  }
});
