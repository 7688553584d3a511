// @gatio/native: topology, thread pinning and the io_uring probe (C++ addon + typed wrapper).
// Values are re-exported as plain data properties (`export const { ... } = module`), never with
// `export { x } from`: TypeScript compiles that to `exports.x = void 0` and later a getter on the
// same name, and redefining a data property as an accessor turns the exports object into a
// dictionary, which makes every `native.X` read in the drivers' per-completion loops a hash lookup.
// The classes come through `export *`, whose getters are new properties and keep it fast.
import * as topologyModule from './topology';
import * as affinityModule from './affinity';
import * as probeModule from './probe';
import * as bindingModule from './binding';
import * as reserveModule from './reserve-port';
export type { NumaNode, Topology } from './topology';
export const { topology, describeTopology } = topologyModule;
export const { pinThread, threadAffinity, threadId, yieldThread } = affinityModule;
export type { IoUringProbe } from './probe';
export const { ioUringProbe, assertIoUring } = probeModule;
export * from './errors';
export const { addonPath, addonSource } = bindingModule;
export type { AddonSource } from './binding';
export const { reservePort } = reserveModule;
export type { PortReservation } from './reserve-port';
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
  MAX_RING_ENTRIES,
  createUring,
} = uring;
export type { Uring, UringInfo } from './uring';
export * from './net-errors';
