// @gatio/net: declared TCP and UDP ports served by io_uring multishot accept/recv/recvmsg on Gatio drivers.
// Main thread: validatePorts, checkReports. Driver thread: attachDriver. See docs/net.md.
export { validatePorts, checkReports, defaultOptions } from './config';
export type { PortSpec, PortOptions, NormalizedPort, NormalizedOptions, PortReport, DriverDesc } from './config';
export { attachDriver, loadHandler, fileHash } from './attach';
export type { AttachOptions, DriverNetHandle } from './attach';
export { Connection } from './connection';
export type { Handler } from './driver-net';
export { UdpSocket } from './udp-socket';
export type { UdpHandler, UdpRemote } from './udp-socket';
export * from './errors';
export { HAS_REUSE_PORT } from './backend-libuv';
