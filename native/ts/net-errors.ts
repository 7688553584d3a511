// Errors of the socket and ring layer used by @gatio/net. A native call returns -errno; these
// helpers convert it once, at the boundary, into a class carrying { code, errno, op, fd }.
import { GatioError } from './errors';
import * as os from 'node:os';

const errnoNames: Record<number, string> = Object.fromEntries(
  Object.entries(os.constants.errno).map(([name, value]) => [value, name]),
);

/** 'EADDRINUSE' for 98. */
export function errnoName(errno: number): string {
  return errnoNames[Math.abs(errno)] ?? `errno ${Math.abs(errno)}`;
}

/** A socket or ring operation failed; `op` names it, `fd` the descriptor (-1 when none). */
export class SocketError extends GatioError {
  static readonly code: string = 'GATIO_ERR_SOCKET';
  readonly errno: number;
  readonly op: string;
  readonly fd: number;
  constructor(errno: number, op: string, fd: number, message?: string, code: string = SocketError.code) {
    super(code, message ?? `${op} failed with ${errnoName(errno)} (errno ${errno})${fd >= 0 ? ` on fd ${fd}` : ''}`);
    this.errno = errno;
    this.op = op;
    this.fd = fd;
  }
}

/** bind() got EADDRINUSE: another process (not a Gatio driver of the same port) holds it. */
export class PortInUseError extends SocketError {
  static override readonly code = 'GATIO_ERR_PORT_IN_USE';
  constructor(
    readonly host: string,
    readonly port: number,
    errno: number,
    fd = -1,
  ) {
    super(
      errno,
      'bind',
      fd,
      `port ${port} on ${host} is already in use by a socket without SO_REUSEPORT or owned by ` +
        `another user; stop that process (find it with \`ss -ltnp 'sport = :${port}'\`) or pick another port`,
      PortInUseError.code,
    );
  }
}

/** bind() got EACCES/EPERM: a privileged port (< 1024) without CAP_NET_BIND_SERVICE, or policy. */
export class PermissionError extends SocketError {
  static override readonly code = 'GATIO_ERR_PERMISSION';
  constructor(
    readonly host: string,
    readonly port: number,
    errno: number,
    op: string,
  ) {
    super(
      errno,
      op,
      -1,
      `${op} on ${host}:${port} was refused (${errnoName(errno)}); ports below 1024 need root or ` +
        'CAP_NET_BIND_SERVICE (`setcap cap_net_bind_service=+ep $(which node)`), or use a port >= 1024',
      PermissionError.code,
    );
  }
}

/** bind() got EADDRNOTAVAIL: the host address is not configured on this machine. */
export class AddressNotAvailableError extends SocketError {
  static override readonly code = 'GATIO_ERR_ADDRESS_NOT_AVAILABLE';
  constructor(
    readonly host: string,
    readonly port: number,
    errno: number,
  ) {
    super(
      errno,
      'bind',
      -1,
      `address ${host} is not assigned to any interface here (${errnoName(errno)}); use 127.0.0.1, ` +
        '::1, 0.0.0.0 or an address listed by `ip addr`',
      AddressNotAvailableError.code,
    );
  }
}

/** Converts a failed listen() of the binding ([-errno, stage]) into its error class. */
export function listenError(host: string, port: number, negErrno: number, stage: string): SocketError {
  const errno = -negErrno;
  const name = errnoName(errno);
  if (stage === 'bind' && name === 'EADDRINUSE') return new PortInUseError(host, port, errno);
  if (name === 'EACCES' || name === 'EPERM') return new PermissionError(host, port, errno, stage);
  if (stage === 'bind' && name === 'EADDRNOTAVAIL') return new AddressNotAvailableError(host, port, errno);
  if (stage === 'inet_pton') {
    return new SocketError(errno, 'inet_pton', -1, `host ${JSON.stringify(host)} is not an IPv4 or IPv6 address literal`);
  }
  return new SocketError(errno, stage, -1, `${stage} for ${host}:${port} failed with ${name} (errno ${errno})`);
}
