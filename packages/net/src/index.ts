// @gatio/net: TCP and UDP services (tcp(), udp()) served by io_uring multishot accept/recv/recvmsg
// on Gatio drivers, through @gatio/core's services contract. Main thread: the factories (service.ts);
// driver thread: service-driver.ts, which attaches the ports (attach.ts). See docs/net.md.
//
// Values are re-exported as plain properties, never with `export { x } from` (which TypeScript
// compiles to a `void 0` data property redefined as a getter, turning the exports object into a
// dictionary): test/exports-fast.test.ts keeps the entry points in fast mode.
import * as config from './config';
import * as attach from './attach';
import * as connection from './connection';
import * as udpSocket from './udp-socket';
import * as libuv from './backend-libuv';
import * as service from './service';
export const { tcp, udp, TcpService, UdpService } = service;
export type TcpService = service.TcpService;
export type UdpService = service.UdpService;
export type { TcpServiceOptions, UdpServiceOptions, ServiceAddress } from './service';
export const { validatePorts, checkReports, defaultOptions } = config;
export type { PortSpec, PortOptions, NormalizedPort, NormalizedOptions, PortReport, DriverDesc } from './config';
export const { attachDriver, loadHandler, fileHash } = attach;
export type { AttachOptions, DriverNetHandle } from './attach';
export const { Connection } = connection;
export type Connection = connection.Connection;
export type { Handler } from './driver-net';
export const { UdpSocket } = udpSocket;
export type UdpSocket = udpSocket.UdpSocket;
export type { UdpHandler, UdpRemote } from './udp-socket';
export * from './errors';
export const { HAS_REUSE_PORT } = libuv;
