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
// The ring's constants are copied into plain properties: `export ... from` compiles to a getter
// per name, and the drivers read these in their per-completion loops.
import * as uring from './uring';
export const {
  OP_ACCEPT,
  OP_RECV,
  OP_SEND,
  OP_CLOSE,
  OP_CANCEL,
  OP_TIMEOUT,
  OP_SHUTDOWN,
  OP_RECVMSG,
  OP_SENDMSG,
  RECVMSG_OUT_SIZE,
  SEND_RECORD_HEADER,
  EVENT_STRIDE,
  SEND_RECORD_INTS,
  CQE_F_BUFFER,
  CQE_F_MORE,
  CQE_BUFFER_SHIFT,
  SHUT_RD,
  SHUT_WR,
  SHUT_RDWR,
} = uring;
export { createUring } from './uring';
export type { Uring, UringInfo } from './uring';
export * from './net-errors';
