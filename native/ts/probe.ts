// io_uring availability and capabilities, from a real io_uring_setup in the addon. When setup
// fails, or the kernel lacks an op or feature Gatio's networking uses, the result names the cause
// and the fix in one line (startup warnings and errors, `gatio doctor`).
import { readFileSync } from 'node:fs';
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
  /** io_uring is available and has every op and feature Gatio's networking uses. */
  usable: boolean;
  /** What the kernel lacks, each with the first Linux release that has it, e.g. 'SHUTDOWN (Linux 5.11)'. */
  missing: string[];
  /** What stands in the way when not usable. */
  blockedBy?: IoUringBlocker;
  /** /proc/self/status Seccomp: 0 none, 1 strict, 2 filter; -1 when unreadable. */
  seccomp: number;
}

/** seccomp filter, the kernel.io_uring_disabled sysctl, the kernel itself, RLIMIT_MEMLOCK, or else. */
export type IoUringBlocker = 'seccomp' | 'sysctl' | 'kernel' | 'memlock' | 'other';

/** Opcodes the rings of @gatio/net submit, with the Linux release that added each. */
const NEEDED_OPS: ReadonlyArray<readonly [string, string]> = [
  ['SENDMSG', '5.3'],
  ['RECVMSG', '5.3'],
  ['TIMEOUT', '5.4'],
  ['ACCEPT', '5.5'],
  ['ASYNC_CANCEL', '5.5'],
  ['TIMEOUT_REMOVE', '5.5'],
  ['CLOSE', '5.6'],
  ['SEND', '5.6'],
  ['RECV', '5.6'],
  ['SHUTDOWN', '5.11'],
];

/** The oldest kernel with everything Gatio uses (DEFER_TASKRUN). */
const MIN_KERNEL = '6.1';
const SECCOMP_FIX =
  'allow io_uring_setup, io_uring_enter and io_uring_register in the seccomp profile: Docker/Podman ' +
  "`--security-opt seccomp=<profile>` (Gatio's docs/containers.md adds them to the engine default with jq; " +
  '`seccomp=unconfined` also works but drops all syscall filtering), containerd `ctr run --seccomp --seccomp-profile <profile>`, ' +
  'Kubernetes `securityContext.seccompProfile: {type: Localhost, localhostProfile: <profile>}`';

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

function atLeast(release: string, version: string): boolean {
  const [major, minor] = version.split('.').map(Number);
  return kernelAtLeast(release, major, minor);
}

/** Seccomp mode of this process (/proc/self/status), -1 when it cannot be read. */
export function seccompMode(): number {
  try {
    const m = /^Seccomp:\s*(\d+)/m.exec(readFileSync('/proc/self/status', 'utf8'));
    return m ? Number(m[1]) : -1;
  } catch {
    return -1;
  }
}

function formatBytes(n: number): string {
  return n < 0 ? 'unlimited' : `${n} bytes (${Math.round(n / 1024)} KiB)`;
}

/** What stops a failed io_uring_setup, from its errno and the process's settings. */
export function blockerFor(raw: RawProbe): IoUringBlocker {
  const seccomp = raw.seccomp ?? -1;
  switch (raw.setupErrno) {
    case EPERM:
      if (raw.ioUringDisabled > 0) return 'sysctl';
      return seccomp === 2 || seccomp === -1 ? 'seccomp' : 'other';
    case ENOSYS:
      return seccomp === 2 ? 'seccomp' : 'kernel';
    case ENOMEM:
      return kernelAtLeast(raw.kernel, 5, 12) ? 'other' : 'memlock';
    case EINVAL:
      return 'kernel';
    default:
      return 'other';
  }
}

/** The reason text for a failed io_uring_setup: the cause and the fix, one line. */
export function reasonFor(raw: RawProbe): string {
  const kernel = `kernel ${raw.kernel}`;
  const seccomp = raw.seccomp ?? -1;
  switch (raw.setupErrno) {
    case ENOSYS:
      if (seccomp === 2) {
        return (
          'io_uring_setup returned ENOSYS under a seccomp filter (Seccomp: 2 in /proc/self/status), which answers ' +
          `so for syscalls its profile leaves out (${kernel} has io_uring unless built without CONFIG_IO_URING); ${SECCOMP_FIX}`
        );
      }
      return (
        `io_uring_setup is not implemented (ENOSYS): ${kernel} lacks io_uring (needs Linux 5.19+, ` +
        `${MIN_KERNEL}+ for everything Gatio uses, built with CONFIG_IO_URING=y)`
      );
    case EPERM:
      if (raw.ioUringDisabled > 0) {
        return (
          `io_uring_setup was refused (EPERM): the sysctl kernel.io_uring_disabled is ${raw.ioUringDisabled} ` +
          `(${raw.ioUringDisabled === 1 ? 'only members of kernel.io_uring_group may use it' : 'disabled for all'}); ` +
          'enable it with `sysctl -w kernel.io_uring_disabled=0` (as root; a container inherits it from the host)'
        );
      }
      if (seccomp === 2) {
        return `io_uring_setup was refused (EPERM) by a seccomp filter (Seccomp: 2 in /proc/self/status; Docker 25+ and containerd 2.0 block io_uring by default); ${SECCOMP_FIX}`;
      }
      if (seccomp === 0) {
        return (
          'io_uring_setup was refused (EPERM) with no seccomp filter and kernel.io_uring_disabled ' +
          `${raw.ioUringDisabled < 0 ? 'absent' : raw.ioUringDisabled}: a security module denies it ` +
          '(SELinux io_uring class, AppArmor): check the audit log (`ausearch -m avc`) and allow io_uring for this program'
        );
      }
      return (
        'io_uring_setup was refused (EPERM) although kernel.io_uring_disabled is ' +
        `${raw.ioUringDisabled < 0 ? 'absent' : raw.ioUringDisabled}: most likely a seccomp filter; ${SECCOMP_FIX}`
      );
    case ENOMEM:
      if (kernelAtLeast(raw.kernel, 5, 12)) {
        return (
          `io_uring_setup failed with ENOMEM on ${kernel}, which charges rings to the memory cgroup: ` +
          `the process or its container is out of memory; raise its memory limit (RLIMIT_MEMLOCK is ${formatBytes(raw.memlockCur)})`
        );
      }
      return (
        `io_uring_setup failed with ENOMEM: RLIMIT_MEMLOCK is ${formatBytes(raw.memlockCur)} ` +
        `(hard limit ${formatBytes(raw.memlockMax)}), too low for the ring on ${kernel} (kernels before 5.12 charge rings to it); ` +
        'raise it with `ulimit -l unlimited` (or LimitMEMLOCK=infinity in systemd, --ulimit memlock=-1 in docker)'
      );
    case EINVAL:
      return `io_uring_setup rejected the parameters (EINVAL): ${kernel} is too old for Gatio (needs Linux ${MIN_KERNEL}+)`;
    default:
      return `io_uring_setup failed with errno ${raw.setupErrno} on ${kernel}`;
  }
}

/** What a working io_uring lacks for Gatio's networking, each with the first kernel that has it. */
export function missingFor(raw: RawProbe): string[] {
  const missing: string[] = [];
  if (raw.probeErrno !== 0) {
    missing.push('IORING_REGISTER_PROBE (Linux 5.6)');
  } else {
    for (const [op, since] of NEEDED_OPS) if (!raw.opcodes.includes(op)) missing.push(`${op} (Linux ${since})`);
  }
  if (!raw.providedBufferRings) missing.push('IORING_REGISTER_PBUF_RING (Linux 5.19)');
  if (!atLeast(raw.kernel, '5.19')) missing.push('multishot ACCEPT (Linux 5.19)');
  if (!atLeast(raw.kernel, '6.0')) missing.push('multishot RECV and RECVMSG (Linux 6.0)');
  if (!raw.singleIssuerDeferTaskrun) missing.push('IORING_SETUP_SINGLE_ISSUER | DEFER_TASKRUN (Linux 6.1)');
  return missing;
}

/** Creates (and closes) real rings to find out what io_uring offers here. */
export function ioUringProbe(): IoUringProbe {
  noArgs('ioUringProbe', arguments.length);
  const raw = { ...call((b) => b.ioUringProbe()), seccomp: seccompMode() };
  if (raw.setupErrno !== 0) {
    return {
      available: false,
      usable: false,
      missing: [],
      blockedBy: blockerFor(raw),
      seccomp: raw.seccomp,
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
  const missing = missingFor(raw);
  return {
    available: true,
    usable: missing.length === 0,
    missing,
    seccomp: raw.seccomp,
    ...(missing.length === 0
      ? {}
      : {
          blockedBy: 'kernel' as const,
          code: IoUringUnavailableError.code,
          reason: `io_uring on kernel ${raw.kernel} lacks ${missing.join(', ')}, which Gatio uses: upgrade to Linux ${MIN_KERNEL} or newer`,
        }),
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

/** Throws IoUringUnavailableError (with the probe's reason) when io_uring cannot serve Gatio. */
export function assertIoUring(): void {
  noArgs('assertIoUring', arguments.length);
  const probe = ioUringProbe();
  if (!probe.usable) throw new IoUringUnavailableError(probe.reason ?? 'unknown', probe.errno);
}
