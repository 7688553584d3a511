// @gatio/native: topology, thread pinning and the io_uring probe (C++ addon + typed wrapper).
export type { NumaNode, Topology } from './topology';
export { topology, describeTopology } from './topology';
export { pinThread, threadAffinity, threadId, yieldThread } from './affinity';
export type { IoUringProbe } from './probe';
export { ioUringProbe, assertIoUring } from './probe';
export {
  GatioError,
  InvalidArgError,
  InvalidCpuError,
  CpuNotAllowedError,
  InvalidTopologyError,
  IoUringUnavailableError,
  NativeError,
  toNativeError,
  formatCpus,
} from './errors';
export { addonPath } from './binding';
export * from './uring';
export * from './net-errors';
