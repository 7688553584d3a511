// `gatio doctor` on this machine (io_uring allowed: exit 0) and under a real seccomp filter that
// refuses io_uring (test/fixtures/seccomp-no-uring.c, compiled here with cc: exit 1, naming
// seccomp and the fix). Both with and without --json.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import { join } from 'node:path';
import { cpuList, type DoctorReport } from 'gatio';
import { topology } from '@gatio/native';

const bin = join(__dirname, '..', 'packages', 'cli', 'dist', 'bin.js');
let dir: string;
let helper: string;

beforeAll(() => {
  dir = mkdtempSync(join(os.tmpdir(), 'gatio-doctor-'));
  helper = join(dir, 'seccomp-no-uring');
  execFileSync('cc', ['-O2', '-Wall', '-Wextra', '-o', helper, join(__dirname, 'fixtures', 'seccomp-no-uring.c')], { stdio: 'inherit' });
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function gatio(args: string[], underFilter = false): { status: number | null; stdout: string; stderr: string } {
  const argv = [process.execPath, bin, ...args];
  const r = underFilter
    ? spawnSync(helper, argv, { encoding: 'utf8', timeout: 30_000 })
    : spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('gatio doctor here', () => {
  test('--json: every figure, and ok', () => {
    const r = gatio(['doctor', '--json']);
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout) as DoctorReport;
    const here = topology();
    expect(report).toMatchObject({ ok: true, problems: [], kernel: os.release(), node: { version: process.version } });
    expect(report.addon).toMatchObject({ source: 'compiled', loads: true });
    expect(report.ioUring).toMatchObject({ allowed: true, usable: true, missing: [] });
    for (const op of ['ACCEPT', 'RECV', 'SEND', 'RECVMSG', 'SENDMSG', 'SHUTDOWN']) expect(report.ioUring.ops).toContain(op);
    expect(report.numa).toEqual(here.nodes.map((n) => ({ id: n.id, cpus: n.cpus })));
    expect(report.cpus.allowed).toEqual(here.allowed);
    const limits = /^Max locked memory\s+(\S+)/m.exec(readFileSync('/proc/self/limits', 'utf8'))![1];
    expect(report.memlock!.soft).toBe(limits === 'unlimited' ? null : Number(limits));
    expect(new Set(Object.values(report.packages))).toEqual(new Set([require('../packages/cli/package.json').version]));
  });

  test('for people: one line per fact, then OK', () => {
    const r = gatio(['doctor']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^  kernel +${os.release().replace(/\./g, '\\.')}$`, 'm'));
    expect(r.stdout).toMatch(/^ {2}io_uring +allowed, with every op Gatio uses/m);
    expect(r.stdout).toMatch(/^ {2}ops +\d+: .*\bACCEPT\b/m);
    expect(r.stdout).toMatch(new RegExp(`^  CPUs +this process may use ${cpuList(topology().allowed)} `, 'm'));
    expect(r.stdout).toMatch(/^ {2}memlock +/m);
    expect(r.stdout.trim().split('\n').pop()).toBe('OK: Gatio can run fully here.');
  });
});

describe('gatio doctor where a seccomp filter blocks io_uring', () => {
  test('--json: not ok, blocked by seccomp, with the fix', () => {
    const r = gatio(['doctor', '--json'], true);
    expect(r.status).toBe(1);
    const report = JSON.parse(r.stdout) as DoctorReport;
    expect(report).toMatchObject({ ok: false, seccomp: 'filter', ioUring: { allowed: false, usable: false, blockedBy: 'seccomp', ops: [] } });
    expect(report.problems).toHaveLength(1);
    expect(report.problems[0]).toMatch(/^io_uring is blocked by seccomp: io_uring_setup was refused \(EPERM\) by a seccomp filter/);
    expect(report.problems[0]).toMatch(/io_uring_setup, io_uring_enter and io_uring_register/);
  });

  test('for people: BLOCKED, and the reason on the last line', () => {
    const r = gatio(['doctor'], true);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/^ {2}io_uring +BLOCKED by seccomp/m);
    expect(r.stdout.trim().split('\n').pop()).toMatch(/^NOT OK: io_uring is blocked by seccomp: .*--security-opt seccomp=<profile>/);
  });
});

test('a command line it does not understand: usage, exit 2', () => {
  for (const args of [[], ['doktor'], ['doctor', '--yaml']]) {
    const r = gatio(args);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/usage: gatio doctor \[--json\]/);
  }
  expect(gatio(['--help']).status).toBe(0);
});

test('cpuList writes ranges', () => {
  expect(cpuList([0, 1, 2, 5, 7, 8])).toBe('0-2,5,7-8');
  expect(cpuList([3])).toBe('3');
  expect(cpuList([])).toBe('none');
});
