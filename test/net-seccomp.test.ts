// io_uring blocked by a real seccomp filter, as Docker 25+ and containerd 2.0's default profiles do:
// test/fixtures/seccomp-no-uring.c (compiled here with cc) makes io_uring_setup, _enter and
// _register fail with EPERM, then execs node. A tcp service still serves, through the libuv
// fallback, with one warning that names seccomp and the fix; tasks keep running (their rings are
// SharedArrayBuffers, no io_uring); `fallback: 'none'` turns the warning into a start error.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const fixtures = join(__dirname, 'fixtures');
let dir: string;
let helper: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'gatio-seccomp-'));
  helper = join(dir, 'seccomp-no-uring');
  // No compiler is no reason to skip: CI builds the addon, so cc is there (a failure says so).
  execFileSync('cc', ['-O2', '-Wall', '-Wextra', '-o', helper, join(fixtures, 'seccomp-no-uring.c')], { stdio: 'inherit' });
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function underFilter(args: string[]): { result: Record<string, unknown>; stderr: string } {
  const r = spawnSync(helper, [process.execPath, ...args], { encoding: 'utf8', timeout: 90_000, cwd: join(__dirname, '..') });
  if (r.status !== 0) throw new Error(`exit ${r.status} ${r.signal ?? ''}: ${r.stderr}`);
  return { result: JSON.parse(r.stdout.trim().split('\n').pop()!), stderr: r.stderr };
}

const warningLines = (stderr: string) => stderr.split('\n').filter((l) => l.includes('GATIO_WARN_IO_URING_FALLBACK'));

test('the filter really blocks io_uring, and the probe says it is seccomp', () => {
  const script = "const p = require('@gatio/native').ioUringProbe(); console.log(JSON.stringify(p))";
  const { result } = underFilter(['-e', script]);
  expect(result).toMatchObject({ available: false, usable: false, blockedBy: 'seccomp', seccomp: 2, errno: 1 });
  expect(result.reason).toMatch(/refused \(EPERM\) by a seccomp filter/);
  expect(result.reason).toMatch(/io_uring_setup, io_uring_enter and io_uring_register/);
  expect(result.reason).toMatch(/--security-opt seccomp=<profile>/);
  expect(result.reason).toMatch(/seccompProfile: \{type: Localhost/);
});

test.each(['default', 'libuv'])("fallback %s: the service serves through libuv, with one warning naming seccomp", (fallback) => {
  const { result, stderr } = underFilter([join(fixtures, 'seccomp-server.js'), fallback]);
  expect(result).toMatchObject({ blockedBy: 'seccomp', usable: false, task: 42, reply: 'ping\n', cqes: 0 });
  expect(result.bytesIn).toBe(5);
  const lines = warningLines(stderr);
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/GatioWarning: io_uring is blocked, so tcp\(\) and udp\(\) services fall back to libuv/);
  expect(lines[0]).toMatch(/by a seccomp filter .*--security-opt seccomp=<profile>/);
});

test("fallback 'none': Runtime.start fails with the probe's reason, and no warning", () => {
  const { result, stderr } = underFilter([join(fixtures, 'seccomp-server.js'), 'none']);
  expect(result.error).toBe('GATIO_ERR_IO_URING_UNAVAILABLE');
  expect(result.message).toMatch(/tcp\(\) has fallback: 'none': io_uring_setup was refused \(EPERM\) by a seccomp filter/);
  expect(warningLines(stderr)).toHaveLength(0);
});

test('without the filter the same server runs on io_uring and warns nothing', () => {
  const r = spawnSync(process.execPath, [join(fixtures, 'seccomp-server.js')], { encoding: 'utf8', timeout: 90_000 });
  const result = JSON.parse(r.stdout.trim().split('\n').pop()!);
  expect(result).toMatchObject({ usable: true, task: 42, reply: 'ping\n', bytesIn: 5 });
  expect(result.cqes).toBeGreaterThan(0);
  expect(warningLines(r.stderr)).toHaveLength(0);
});
