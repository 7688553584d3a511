// Machine topology (sysfs, read by the addon on each call) and hand-written topologies for tests
// and users who want several TPCs on a small machine.
import { call } from './binding';
import { InvalidArgError, InvalidTopologyError, formatCpus } from './errors';
import { MAX_CPUS, checkCpu, checkLength, describe, noArgs } from './validate';

export interface NumaNode {
  id: number;
  /** Ascending CPU ids. */
  cpus: number[];
}

export interface Topology {
  nodes: NumaNode[];
  /** /sys/devices/system/cpu/online */
  online: number[];
  /** The process's CPU affinity (sched_getaffinity of its main thread). */
  allowed: number[];
  /** SMT sibling groups of online CPUs, e.g. [[0, 4], [1, 5]]. */
  smt: number[][];
}

/**
 * Reads the topology from sysfs: NUMA nodes (node*\/cpulist; one node 0 with the online CPUs when
 * the kernel has no NUMA), online CPUs, the allowed CPUs and SMT sibling groups.
 */
export function topology(): Topology {
  noArgs('topology', arguments.length);
  return call((b) => b.topology());
}

/**
 * Validates a hand-written topology against this machine (e.g. two one-CPU nodes on a two-core
 * machine). Nodes without an id get their index. `online`, `allowed` and `smt` are the real ones.
 */
export function describeTopology(nodes: Array<{ id?: number; cpus: number[] }>): Topology {
  if (arguments.length !== 1) {
    throw new InvalidArgError(`describeTopology(nodes) takes 1 argument, got ${arguments.length}`);
  }
  if (!Array.isArray(nodes)) {
    throw new InvalidArgError(`describeTopology(nodes): nodes must be an array, got ${describe(nodes)}`);
  }
  if (nodes.length === 0) throw new InvalidTopologyError('a topology needs at least one node');
  checkLength(nodes, 'describeTopology(nodes): nodes', MAX_CPUS);
  const real = topology();
  const allowed = new Set(real.allowed);
  const owner = new Map<number, number>();
  const ids = new Set<number>();
  const out: NumaNode[] = nodes.map((node, index) => {
    if (typeof node !== 'object' || node === null || Array.isArray(node)) {
      throw new InvalidArgError(`nodes[${index}] must be an object { id?, cpus }, got ${describe(node)}`);
    }
    const id = node.id ?? index;
    if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 0) {
      throw new InvalidTopologyError(`nodes[${index}].id must be a non-negative integer, got ${describe(id)}`);
    }
    if (ids.has(id)) throw new InvalidTopologyError(`node id ${id} is used twice (nodes[${index}])`);
    ids.add(id);
    if (!Array.isArray(node.cpus) || node.cpus.length === 0) {
      throw new InvalidTopologyError(
        `node ${id} (nodes[${index}]) needs a non-empty cpus array, got ${describe(node.cpus)}`,
      );
    }
    checkLength(node.cpus, `node ${id} (nodes[${index}]) cpus`, MAX_CPUS);
    const cpus = node.cpus.map((cpu, i) => checkCpu(cpu, `node ${id} (nodes[${index}]) cpus[${i}]`, real.allowed));
    for (const cpu of cpus) {
      const other = owner.get(cpu);
      if (other !== undefined) {
        throw new InvalidTopologyError(`CPU ${cpu} is in node ${other} and node ${id}; a CPU belongs to one node`);
      }
      owner.set(cpu, id);
      if (!allowed.has(cpu)) {
        throw new InvalidTopologyError(
          `node ${id}: CPU ${cpu} is not in this process's allowed CPU set ${formatCpus(real.allowed)} (see topology().allowed)`,
        );
      }
    }
    return { id, cpus: [...cpus].sort((a, b) => a - b) };
  });
  return { nodes: out, online: real.online, allowed: real.allowed, smt: real.smt };
}
