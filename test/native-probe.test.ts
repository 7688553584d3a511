// The io_uring probe on this machine (kernel 6.18: everything Gatio needs is there), and the
// reasons it gives when io_uring_setup fails.
import { IoUringUnavailableError, assertIoUring, ioUringProbe } from '@gatio/native';
import { reasonFor } from '../native/dist/probe'; // internal: not in the package's exports map
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
    ['ENOSYS', { setupErrno: 38 }, /not implemented \(ENOSYS\): kernel 6\.1\.0 lacks io_uring/],
    ['EPERM, sysctl', { setupErrno: 1, ioUringDisabled: 2 }, /kernel\.io_uring_disabled is 2 .*sysctl -w kernel\.io_uring_disabled=0/],
    ['EPERM, seccomp', { setupErrno: 1, ioUringDisabled: 0 }, /seccomp .*Docker's default profile.*io_uring_setup, io_uring_enter and io_uring_register/],
    ['ENOMEM', { setupErrno: 12 }, /RLIMIT_MEMLOCK is 65536 bytes \(64 KiB\).*ulimit -l/],
  ];
  test.each(cases)('%s', (_name, raw, message) => {
    const reason = reasonFor({ ...base, ...raw });
    expect(reason).toMatch(message);
    const err = new IoUringUnavailableError(reason, raw.setupErrno);
    expect(err.code).toBe('GATIO_ERR_IO_URING_UNAVAILABLE');
    expect(err.message).toBe(`GATIO_ERR_IO_URING_UNAVAILABLE: ${reason}`);
  });
});
