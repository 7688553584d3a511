/**
 * `gatio doctor`: what this machine gives Gatio, and what to do about what is missing. Every
 * figure comes from the real system: the addon as it loads, a real io_uring_setup (the probe),
 * sysfs, /proc/self and the process's affinity. Nothing here starts a runtime.
 */
import { readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as native from '@gatio/native';

export interface DoctorReport {
  /** Gatio can run fully: the addon loads, io_uring is allowed with every op it uses, a CPU is allowed. */
  ok: boolean;
  /** One line each, cause and fix; empty when ok. */
  problems: string[];
  node: { version: string; napi: string };
  /** Installed versions of the Gatio packages (they are released together). */
  packages: Record<string, string | null>;
  addon: { source: native.AddonSource; path: string; loads: boolean; error?: string };
  kernel: string;
  /** From /proc/self/status: 'none', 'strict', 'filter' (a seccomp filter is installed) or 'unknown'. */
  seccomp: 'none' | 'strict' | 'filter' | 'unknown';
  ioUring: {
    allowed: boolean;
    /** allowed, and has every op and feature Gatio uses. */
    usable: boolean;
    blockedBy?: string;
    reason?: string;
    /** kernel.io_uring_disabled: 0 on, 1 io_uring_group only, 2 off; null when the kernel has no such sysctl. */
    disabledSysctl: number | null;
    /** Opcodes the probe found. */
    ops: string[];
    /** What Gatio uses that the kernel lacks, with the first release that has each. */
    missing: string[];
    features: string[];
  };
  numa: Array<{ id: number; cpus: number[] }>;
  cpus: {
    /** The CPUs this process may run on (sched_getaffinity: cgroup cpuset and taskset together). */
    allowed: number[];
    online: number[];
    /** The cgroup's cpuset.cpus.effective, when the cgroup has one. */
    cgroupCpuset: string | null;
  };
  /** RLIMIT_MEMLOCK in bytes, null for unlimited (rings count against it on kernels before 5.12). */
  memlock: { soft: number | null; hard: number | null } | null;
}

function read(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

function version(pkg: string): string | null {
  try {
    return (require(`${pkg}/package.json`) as { version: string }).version;
  } catch {
    return null;
  }
}

function seccompMode(): DoctorReport['seccomp'] {
  const m = /^Seccomp:\s*(\d+)/m.exec(read('/proc/self/status') ?? '');
  return m === null ? 'unknown' : (['none', 'strict', 'filter'] as const)[Number(m[1])] ?? 'unknown';
}

function memlock(): DoctorReport['memlock'] {
  const m = /^Max locked memory\s+(\S+)\s+(\S+)/m.exec(read('/proc/self/limits') ?? '');
  if (m === null) return null;
  const value = (s: string) => (s === 'unlimited' ? null : Number(s));
  return { soft: value(m[1]), hard: value(m[2]) };
}

/** cpuset.cpus.effective of this process's cgroup (v2, else the v1 cpuset hierarchy). */
function cgroupCpuset(): string | null {
  for (const line of (read('/proc/self/cgroup') ?? '').split('\n')) {
    const [, controllers, cgroup] = line.split(':');
    if (cgroup === undefined) continue;
    const file =
      controllers === ''
        ? `/sys/fs/cgroup${cgroup}/cpuset.cpus.effective`
        : controllers.split(',').includes('cpuset')
          ? `/sys/fs/cgroup/cpuset${cgroup}/cpuset.effective_cpus`
          : null;
    const text = file === null ? null : read(file.replace('//', '/'));
    if (text !== null && text.trim() !== '') return text.trim();
  }
  return null;
}

function sysctlDisabled(): number | null {
  const text = read('/proc/sys/kernel/io_uring_disabled');
  return text === null ? null : Number(text.trim());
}

/** Collects the report. Never throws: what cannot be found out becomes a problem. */
export function doctor(): DoctorReport {
  const problems: string[] = [];
  const report: DoctorReport = {
    ok: false,
    problems,
    node: { version: process.version, napi: process.versions.napi ?? 'unknown' },
    packages: Object.fromEntries(['@gatio/native', '@gatio/core', '@gatio/net', 'gatio'].map((p) => [p, version(p)])),
    addon: { source: native.addonSource, path: native.addonPath, loads: false },
    kernel: os.release(),
    seccomp: seccompMode(),
    ioUring: { allowed: false, usable: false, disabledSysctl: sysctlDisabled(), ops: [], missing: [], features: [] },
    numa: [],
    cpus: { allowed: [], online: [], cgroupCpuset: cgroupCpuset() },
    memlock: memlock(),
  };
  let topology: native.Topology;
  let probe: native.IoUringProbe;
  try {
    topology = native.topology();
    probe = native.ioUringProbe();
    report.addon.loads = true;
  } catch (err) {
    report.addon.error = (err as Error).message;
    problems.push(`the native addon does not load: ${(err as Error).message}`);
    return report;
  }
  report.numa = topology.nodes.map((n) => ({ id: n.id, cpus: [...n.cpus] }));
  report.cpus.allowed = [...topology.allowed];
  report.cpus.online = [...topology.online];
  report.ioUring = {
    ...report.ioUring,
    allowed: probe.available,
    usable: probe.usable,
    ops: probe.opcodes,
    missing: probe.missing,
    features: probe.features,
    ...(probe.blockedBy === undefined ? {} : { blockedBy: probe.blockedBy, reason: probe.reason }),
  };
  if (!probe.available) problems.push(`io_uring is blocked by ${probe.blockedBy}: ${probe.reason}`);
  else if (!probe.usable) problems.push(`io_uring lacks what Gatio uses: ${probe.reason}`);
  if (report.cpus.allowed.length === 0) problems.push('this process may use no CPU (check its cgroup cpuset and taskset)');
  const versions = new Set(Object.values(report.packages).filter((v) => v !== null));
  if (versions.size > 1) {
    problems.push(`the Gatio packages are of different versions (${JSON.stringify(report.packages)}): install one version of all`);
  }
  report.ok = problems.length === 0;
  return report;
}

/** CPU numbers as ranges: [0, 1, 2, 5] -> '0-2,5'. */
export function cpuList(cpus: readonly number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < cpus.length; i++) {
    let j = i;
    while (j + 1 < cpus.length && cpus[j + 1] === cpus[j] + 1) j++;
    parts.push(j === i ? `${cpus[i]}` : `${cpus[i]}-${cpus[j]}`);
    i = j;
  }
  return parts.length === 0 ? 'none' : parts.join(',');
}

function bytes(n: number | null): string {
  if (n === null) return 'unlimited';
  return n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(n % (1 << 20) === 0 ? 0 : 1)} MiB` : `${Math.round(n / 1024)} KiB`;
}

/** The report for people: one fact per line, then the verdict. */
export function formatReport(r: DoctorReport): string {
  const rows: Array<[string, string]> = [
    ['node', `${r.node.version} (Node-API ${r.node.napi})`],
    ['packages', Object.entries(r.packages).map(([p, v]) => `${p} ${v ?? 'not installed'}`).join(', ')],
    ['addon', `${r.addon.source}${r.addon.loads ? '' : ', does not load'}: ${r.addon.path}`],
    ['kernel', r.kernel],
    ['seccomp', r.seccomp === 'filter' ? 'a filter is installed' : r.seccomp],
  ];
  if (r.addon.loads) {
    const sysctl = r.ioUring.disabledSysctl === null ? 'no kernel.io_uring_disabled' : `kernel.io_uring_disabled=${r.ioUring.disabledSysctl}`;
    rows.push(
      [
        'io_uring',
        r.ioUring.usable
          ? `allowed, with every op Gatio uses (${sysctl})`
          : r.ioUring.allowed
            ? `allowed, but lacks ${r.ioUring.missing.join(', ')}`
            : `BLOCKED by ${r.ioUring.blockedBy} (${sysctl})`,
      ],
      ['ops', r.ioUring.ops.length === 0 ? 'none (io_uring_setup failed)' : `${r.ioUring.ops.length}: ${r.ioUring.ops.join(' ')}`],
      ['NUMA', r.numa.map((n) => `node ${n.id}: CPUs ${cpuList(n.cpus)}`).join('; ')],
      [
        'CPUs',
        `this process may use ${cpuList(r.cpus.allowed)} (${r.cpus.allowed.length} of ${r.cpus.online.length} online` +
          `${r.cpus.cgroupCpuset === null ? '' : `; cgroup cpuset ${r.cpus.cgroupCpuset}`})`,
      ],
    );
  }
  rows.push(['memlock', r.memlock === null ? 'unknown' : `${bytes(r.memlock.soft)} (hard ${bytes(r.memlock.hard)})`]);
  const lines = ['Gatio doctor', ...rows.map(([k, v]) => `  ${k.padEnd(9)} ${v}`)];
  if (r.ok) lines.push('OK: Gatio can run fully here.');
  else for (const p of r.problems) lines.push(`NOT OK: ${p}`);
  return lines.join('\n');
}
