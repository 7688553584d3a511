// topology() against sysfs read independently here, and describeTopology's validation.
import * as fs from 'node:fs';
import {
  GatioError,
  InvalidArgError,
  InvalidCpuError,
  InvalidTopologyError,
  describeTopology,
  topology,
} from '@gatio/native';

function parseCpuList(text: string): number[] {
  const out: number[] = [];
  for (const part of text.trim().split(',')) {
    if (!part) continue;
    const [a, b] = part.split('-').map(Number);
    for (let cpu = a; cpu <= (b ?? a); cpu++) out.push(cpu);
  }
  return out;
}

function readCpuList(file: string): number[] {
  return parseCpuList(fs.readFileSync(file, 'utf8'));
}

describe('topology()', () => {
  const topo = topology();
  const online = readCpuList('/sys/devices/system/cpu/online');

  test('online CPUs match /sys/devices/system/cpu/online', () => {
    expect(topo.online).toEqual(online);
  });

  test('nodes match /sys/devices/system/node/node*/cpulist', () => {
    const dir = '/sys/devices/system/node';
    const expected = fs.existsSync(dir)
      ? fs
          .readdirSync(dir)
          .filter((name) => /^node\d+$/.test(name))
          .map((name) => ({ id: Number(name.slice(4)), cpus: readCpuList(`${dir}/${name}/cpulist`) }))
          .sort((a, b) => a.id - b.id)
      : [{ id: 0, cpus: online }];
    expect(topo.nodes).toEqual(expected);
    for (const node of topo.nodes) expect(node.cpus).toEqual([...node.cpus].sort((a, b) => a - b));
  });

  test('allowed matches the main thread Cpus_allowed_list', () => {
    const status = fs.readFileSync(`/proc/${process.pid}/status`, 'utf8');
    const list = /^Cpus_allowed_list:\s*(\S+)$/m.exec(status)![1];
    expect(topo.allowed).toEqual(parseCpuList(list));
  });

  test('smt groups match thread_siblings_list, deduplicated, online only', () => {
    const groups = new Map<string, number[]>();
    for (const cpu of online) {
      const file = `/sys/devices/system/cpu/cpu${cpu}/topology/thread_siblings_list`;
      const siblings = fs.existsSync(file) ? readCpuList(file).filter((c) => online.includes(c)) : [cpu];
      groups.set(siblings.join(','), siblings);
    }
    const expected = [...groups.values()].sort((a, b) => a[0] - b[0]);
    expect(topo.smt).toEqual(expected);
    expect(topo.smt.flat().sort((a, b) => a - b)).toEqual(online);
  });
});

describe('describeTopology()', () => {
  const { allowed } = topology();
  const outside = Math.max(...allowed) + 1;

  test('one node per allowed CPU is valid (two one-CPU nodes on a two-core machine)', () => {
    const topo = describeTopology(allowed.map((cpu) => ({ cpus: [cpu] })));
    expect(topo.nodes).toEqual(allowed.map((cpu, id) => ({ id, cpus: [cpu] })));
    expect(topo.allowed).toEqual(allowed);
  });

  test('explicit ids are kept and cpus are sorted', () => {
    const topo = describeTopology([{ id: 7, cpus: [...allowed].reverse() }]);
    expect(topo.nodes).toEqual([{ id: 7, cpus: allowed }]);
  });

  const refused: Array<[string, unknown, RegExp]> = [
    ['no nodes', [], /at least one node/],
    ['an empty node', [{ cpus: [] }], /node 0 \(nodes\[0\]\) needs a non-empty cpus array/],
    ['overlapping nodes', [{ cpus: [allowed[0]] }, { cpus: [allowed[0]] }], new RegExp(`CPU ${allowed[0]} is in node 0 and node 1`)],
    ['an unknown CPU', [{ cpus: [outside] }], new RegExp(`node 0: CPU ${outside} is not in this process's allowed CPU set \\[${allowed.join(', ')}\\]`)],
    ['a duplicate id', [{ id: 3, cpus: [allowed[0]] }, { id: 3, cpus: [outside + 1] }], /node id 3 is used twice \(nodes\[1\]\)/],
    ['a negative id', [{ id: -1, cpus: [allowed[0]] }], /nodes\[0\]\.id must be a non-negative integer, got -1/],
  ];
  test.each(refused)('refuses %s', (_name, nodes, message) => {
    expect(() => describeTopology(nodes as never)).toThrow(InvalidTopologyError);
    expect(() => describeTopology(nodes as never)).toThrow(message);
    try {
      describeTopology(nodes as never);
    } catch (err) {
      expect(err).toBeInstanceOf(GatioError);
      expect((err as GatioError).code).toBe('GATIO_ERR_INVALID_TOPOLOGY');
    }
  });

  test('a bad CPU id in a node is an InvalidCpuError naming the node and the allowed set', () => {
    expect(() => describeTopology([{ cpus: [0.5] }])).toThrow(InvalidCpuError);
    expect(() => describeTopology([{ cpus: [0.5] }])).toThrow(
      /node 0 \(nodes\[0\]\) cpus\[0\] must be a non-negative integer CPU id, got 0\.5; this process's allowed CPU set is \[/,
    );
  });

  test('wrong argument types are InvalidArgError naming the argument', () => {
    expect(() => describeTopology('x' as never)).toThrow(InvalidArgError);
    expect(() => describeTopology('x' as never)).toThrow(/describeTopology\(nodes\): nodes must be an array, got "x"/);
    expect(() => describeTopology([5] as never)).toThrow(/nodes\[0\] must be an object/);
    expect(() => (describeTopology as (...a: unknown[]) => unknown)()).toThrow(/takes 1 argument, got 0/);
  });
});
