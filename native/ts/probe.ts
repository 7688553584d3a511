// io_uring availability and capabilities, from a real io_uring_setup in the addon. When setup
// fails, the errno is mapped to a reason that says what to change.
import { call, type RawProbe } from './binding';
import { IoUringUnavailableError } from './errors';
import { noArgs } from './validate';

export interface IoUringProbe {
  available: boolean;
  /** Why io_uring is unavailable, and how to fix it. */
  reason?: string;
  /** 'GATIO_ERR_IO_URING_UNAVAILABLE' when unavailable. */
  code?: string;
  /** errno of the failed io_uring_setup. */
  errno?: number;
  /** uname release, e.g. '6.18.44'. */
  kernel: string;
  /** io_uring_params.features, e.g. 'NODROP', 'FAST_POLL', 'EXT_ARG'. */
  features: string[];
  /** Supported opcodes (IORING_REGISTER_PROBE), e.g. 'ACCEPT', 'RECV', 'SEND'. */
  opcodes: string[];
  multishotAccept: boolean;
  multishotRecv: boolean;
  /** IORING_REGISTER_PBUF_RING worked on the probe ring. */
  providedBufferRings: boolean;
  /** A ring with IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN was created. */
  singleIssuer: boolean;
  deferTaskrun: boolean;
}

const ENOSYS = 38;
const EPERM = 1;
const ENOMEM = 12;
const EINVAL = 22;

function kernelAtLeast(release: string, major: number, minor: number): boolean {
  const m = /^(\d+)\.(\d+)/.exec(release);
  if (!m) return false;
  const [maj, min] = [Number(m[1]), Number(m[2])];
  return maj > major || (maj === major && min >= minor);
}

function formatBytes(n: number): string {
  return n < 0 ? 'unlimited' : `${n} bytes (${Math.round(n / 1024)} KiB)`;
}

/** The reason text for a failed io_uring_setup (exported for tests through dist/probe). */
export function reasonFor(raw: RawProbe): string {
  const kernel = `kernel ${raw.kernel}`;
  switch (raw.setupErrno) {
    case ENOSYS:
      return (
        `io_uring_setup is not implemented (ENOSYS): ${kernel} lacks io_uring (needs Linux 5.19+, ` +
        '6.1+ recommended, built with CONFIG_IO_URING=y)'
      );
    case EPERM:
      if (raw.ioUringDisabled > 0) {
        return (
          `io_uring_setup was refused (EPERM): the sysctl kernel.io_uring_disabled is ${raw.ioUringDisabled} ` +
          `(${raw.ioUringDisabled === 1 ? 'only members of kernel.io_uring_group may use it' : 'disabled for all'}); ` +
          'enable it with `sysctl -w kernel.io_uring_disabled=0` (as root)'
        );
      }
      return (
        'io_uring_setup was refused (EPERM) although kernel.io_uring_disabled is ' +
        `${raw.ioUringDisabled < 0 ? 'absent' : raw.ioUringDisabled}: most likely a seccomp filter ` +
        "(Docker's default profile blocks io_uring); run with a seccomp profile that allows " +
        'io_uring_setup, io_uring_enter and io_uring_register (e.g. docker run --security-opt seccomp=<profile>)'
      );
    case ENOMEM:
      return (
        `io_uring_setup failed with ENOMEM: RLIMIT_MEMLOCK is ${formatBytes(raw.memlockCur)} ` +
        `(hard limit ${formatBytes(raw.memlockMax)}), too low for the ring on ${kernel}; ` +
        'raise it with `ulimit -l unlimited` (or LimitMEMLOCK= in systemd, --ulimit memlock=-1 in docker)'
      );
    case EINVAL:
      return `io_uring_setup rejected the parameters (EINVAL): ${kernel} is too old for Gatio (needs 5.19+)`;
    default:
      return `io_uring_setup failed with errno ${raw.setupErrno} on ${kernel}`;
  }
}

/** Creates (and closes) real rings to find out what io_uring offers here. */
export function ioUringProbe(): IoUringProbe {
  noArgs('ioUringProbe', arguments.length);
  const raw = call((b) => b.ioUringProbe());
  if (raw.setupErrno !== 0) {
    return {
      available: false,
      reason: reasonFor(raw),
      code: IoUringUnavailableError.code,
      errno: raw.setupErrno,
      kernel: raw.kernel,
      features: [],
      opcodes: [],
      multishotAccept: false,
      multishotRecv: false,
      providedBufferRings: false,
      singleIssuer: false,
      deferTaskrun: false,
    };
  }
  const has = (op: string) => raw.opcodes.includes(op);
  return {
    available: true,
    kernel: raw.kernel,
    features: raw.features,
    opcodes: raw.opcodes,
    // IORING_ACCEPT_MULTISHOT arrived in 5.19, IORING_RECV_MULTISHOT in 6.0.
    multishotAccept: has('ACCEPT') && kernelAtLeast(raw.kernel, 5, 19),
    multishotRecv: has('RECV') && raw.providedBufferRings && kernelAtLeast(raw.kernel, 6, 0),
    providedBufferRings: raw.providedBufferRings,
    singleIssuer: raw.singleIssuerDeferTaskrun,
    deferTaskrun: raw.singleIssuerDeferTaskrun,
  };
}

/** Throws IoUringUnavailableError (with the probe's reason) when io_uring cannot be used. */
export function assertIoUring(): void {
  noArgs('assertIoUring', arguments.length);
  const probe = ioUringProbe();
  if (!probe.available) throw new IoUringUnavailableError(probe.reason ?? 'unknown', probe.errno);
}
