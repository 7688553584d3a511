// Port reservations (native/src/reserve-port.h): the main thread binds host:port once, with
// SO_REUSEPORT and without listening, so `port: 0` yields one ephemeral port that every driver of
// a service then joins; released once they all are bound.
import { binding } from './binding';
import { listenError } from './net-errors';

interface ReserveBinding {
  reservePort(host: string, port: number, udp: boolean): [number, string, number, object];
  releasePort(handle: object): void;
}

export interface PortReservation {
  /** The port bound: the requested one, or the ephemeral port the kernel picked for 0. */
  readonly port: number;
  /** Closes the reserving socket (idempotent); the drivers' sockets keep the port. */
  release(): void;
}

/** Binds host:port (SO_REUSEPORT) for TCP or UDP; throws PortInUseError and friends. */
export function reservePort(host: string, port: number, transport: 'tcp' | 'udp'): PortReservation {
  const b = binding() as unknown as ReserveBinding;
  const [rc, stage, bound, handle] = b.reservePort(host, port, transport === 'udp');
  if (rc < 0) throw listenError(host, port, rc, stage);
  let released = false;
  return {
    port: bound,
    release() {
      if (released) return;
      released = true;
      b.releasePort(handle);
    },
  };
}
