// The io_uring probe on this machine (kernel 6.18: everything Gatio needs is there), and the
// reasons it gives when io_uring_setup fails.
import { IoUringUnavailableError, assertIoUring, ioUringProbe } from '@gatio/native';
import { blockerFor, missingFor, reasonFor } from '../native/dist/probe'; // internal: not in the package's exports map
import type { RawProbe } from '../native/dist/binding';
import * as os from 'node:os';

describe('ioUringProbe()', () => {
  const probe = ioUringProbe();

  test('io_uring is available, with the kernel release', () => {
    expect(probe.available).toBe(true);
    expect(probe.reason).toBeUndefined();
    expect(probe.kernel).toBe(os.release());
  });

  test('networking opcodes and multishot support', () => {
    for (const op of ['ACCEPT', 'RECV', 'RECVMSG', 'SEND', 'SENDMSG', 'CLOSE', 'ASYNC_CANCEL', 'TIMEOUT', 'PROVIDE_BUFFERS']) {
      expect(probe.opcodes).toContain(op);
    }
    expect(probe.multishotAccept).toBe(true);
    expect(probe.multishotRecv).toBe(true);
    expect(probe.providedBufferRings).toBe(true);
  });

  test('SINGLE_ISSUER | DEFER_TASKRUN and the expected features', () => {
    expect(probe.singleIssuer).toBe(true);
    expect(probe.deferTaskrun).toBe(true);
    for (const feat of ['NODROP', 'FAST_POLL', 'EXT_ARG', 'SINGLE_MMAP']) expect(probe.features).toContain(feat);
  });

  test('repeated probes do not leak ring fds', () => {
    const fds = () => require('node:fs').readdirSync('/proc/self/fd').length;
    ioUringProbe();
    const before = fds();
    for (let i = 0; i < 50; i++) ioUringProbe();
    expect(fds()).toBe(before);
  });

  test('assertIoUring() passes here', () => {
    expect(() => assertIoUring()).not.toThrow();
  });
});

describe('reasons for an unavailable io_uring', () => {
  const base: RawProbe = {
    setupErrno: 0, kernel: '6.1.0', featureBits: 0, features: [], opcodes: [], probeErrno: 0,
    singleIssuerDeferTaskrun: false, providedBufferRings: false, ioUringDisabled: 0,
    memlockCur: 65536, memlockMax: 65536,
  };
  const cases: Array<[string, Partial<RawProbe>, RegExp]> = [
    ['ENOSYS', { setupErrno: 38, seccomp: 0 }, /not implemented \(ENOSYS\): kernel 6\.1\.0 lacks io_uring/],
    ['ENOSYS, seccomp', { setupErrno: 38, seccomp: 2 }, /returned ENOSYS under a seccomp filter.*io_uring_setup, io_uring_enter and io_uring_register/],
    ['EPERM, sysctl', { setupErrno: 1, ioUringDisabled: 2 }, /kernel\.io_uring_disabled is 2 .*sysctl -w kernel\.io_uring_disabled=0/],
    ['EPERM, seccomp filter', { setupErrno: 1, ioUringDisabled: 0, seccomp: 2 }, /by a seccomp filter \(Seccomp: 2 .*Docker 25\+ and containerd 2\.0.*--security-opt seccomp=<profile>.*seccomp=unconfined.*localhostProfile/],
    ['EPERM, seccomp unknown', { setupErrno: 1, ioUringDisabled: 0 }, /most likely a seccomp filter; allow io_uring_setup, io_uring_enter and io_uring_register/],
    ['EPERM, no seccomp', { setupErrno: 1, ioUringDisabled: 0, seccomp: 0 }, /no seccomp filter .*security module.*SELinux/],
    ['ENOMEM, before 5.12', { setupErrno: 12, kernel: '5.10.0' }, /RLIMIT_MEMLOCK is 65536 bytes \(64 KiB\).*before 5\.12.*ulimit -l/],
    ['ENOMEM, memory cgroup', { setupErrno: 12 }, /ENOMEM on kernel 6\.1\.0, which charges rings to the memory cgroup/],
    ['EINVAL', { setupErrno: 22, kernel: '5.4.0' }, /kernel 5\.4\.0 is too old for Gatio \(needs Linux 6\.1\+\)/],
  ];
  test.each(cases)('%s', (_name, raw, message) => {
    const reason = reasonFor({ ...base, ...raw });
    expect(reason).toMatch(message);
    const err = new IoUringUnavailableError(reason, raw.setupErrno);
    expect(err.code).toBe('GATIO_ERR_IO_URING_UNAVAILABLE');
    expect(err.message).toBe(`GATIO_ERR_IO_URING_UNAVAILABLE: ${reason}`);
  });
});

describe('what blocks io_uring, and what an old kernel lacks', () => {
  const base: RawProbe = {
    setupErrno: 0, kernel: '6.1.0', featureBits: 0, features: [], opcodes: [], probeErrno: 0,
    singleIssuerDeferTaskrun: true, providedBufferRings: true, ioUringDisabled: 0,
    memlockCur: 65536, memlockMax: 65536,
  };
  const ops = ['SENDMSG', 'RECVMSG', 'TIMEOUT', 'ACCEPT', 'ASYNC_CANCEL', 'TIMEOUT_REMOVE', 'CLOSE', 'SEND', 'RECV', 'SHUTDOWN'];

  test.each([
    [{ setupErrno: 1, ioUringDisabled: 1 }, 'sysctl'],
    [{ setupErrno: 1, seccomp: 2 }, 'seccomp'],
    [{ setupErrno: 1, seccomp: 0 }, 'other'],
    [{ setupErrno: 38, seccomp: 2 }, 'seccomp'],
    [{ setupErrno: 38, seccomp: 0 }, 'kernel'],
    [{ setupErrno: 12, kernel: '5.4.0' }, 'memlock'],
    [{ setupErrno: 22 }, 'kernel'],
  ] as Array<[Partial<RawProbe>, string]>)('%o is blocked by %s', (raw, blocker) => {
    expect(blockerFor({ ...base, ...raw })).toBe(blocker);
  });

  test('a 6.1 kernel with every op lacks nothing', () => {
    expect(missingFor({ ...base, opcodes: ops })).toEqual([]);
  });

  test('each missing op is named with the first kernel that has it', () => {
    expect(missingFor({ ...base, opcodes: ops.filter((o) => o !== 'SHUTDOWN') })).toEqual(['SHUTDOWN (Linux 5.11)']);
    expect(missingFor({ ...base, kernel: '5.15.0', opcodes: ops, providedBufferRings: false, singleIssuerDeferTaskrun: false })).toEqual([
      'IORING_REGISTER_PBUF_RING (Linux 5.19)',
      'multishot ACCEPT (Linux 5.19)',
      'multishot RECV and RECVMSG (Linux 6.0)',
      'IORING_SETUP_SINGLE_ISSUER | DEFER_TASKRUN (Linux 6.1)',
    ]);
    expect(missingFor({ ...base, probeErrno: 22 })).toContain('IORING_REGISTER_PROBE (Linux 5.6)');
  });

  test('this machine lacks nothing, so the probe calls io_uring usable', () => {
    const probe = ioUringProbe();
    expect(probe).toMatchObject({ usable: true, missing: [] });
    expect(probe.blockedBy).toBeUndefined();
  });
});
