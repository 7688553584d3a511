// Errors of @gatio/net. Socket-level ones (port in use, permission) come from @gatio/native,
// which converts a -errno once at the boundary; configuration errors are defined here, and
// registered with @gatio/core (at the end) so they keep their class when they cross threads.
import { registerErrorClasses } from '@gatio/core';
import { GatioError } from '@gatio/native';

export {
  SocketError,
  PortInUseError,
  PermissionError,
  AddressNotAvailableError,
  IoUringUnavailableError,
  GatioError,
} from '@gatio/native';

/** A declared port is malformed; the message names the port index and the field. */
export class InvalidPortConfigError extends GatioError {
  static readonly code = 'GATIO_ERR_INVALID_PORT_CONFIG';
  constructor(message: string) {
    super(InvalidPortConfigError.code, message);
  }
}

/** A driver serving a port loaded a different configuration than the runtime declared. */
export class PortConfigMismatchError extends GatioError {
  static readonly code = 'GATIO_ERR_PORT_CONFIG_MISMATCH';
  constructor(
    readonly port: number,
    readonly driver: number,
    readonly field: string,
    readonly expected: unknown,
    readonly actual: unknown,
    readonly transport: string = 'tcp',
  ) {
    super(
      PortConfigMismatchError.code,
      `${transport === 'udp' ? 'udp ' : ''}port ${port}: driver ${driver} loaded ${field} = ${show(actual)} but the runtime declared ` +
        `${show(expected)}; every driver serving a port must run the identical configuration ` +
        '(was the handler file changed while drivers started?)',
    );
  }
}

/** The handler module of a port could not be loaded or has the wrong shape. */
export class HandlerLoadError extends GatioError {
  static readonly code = 'GATIO_ERR_HANDLER_LOAD';
  constructor(
    readonly handler: string,
    reason: string,
  ) {
    super(HandlerLoadError.code, `handler ${handler}: ${reason}`);
  }
}

/** Passed to handler.close(conn, err) when the peer reset or a send failed. */
export class ConnectionError extends GatioError {
  static readonly code = 'GATIO_ERR_CONNECTION';
  constructor(
    message: string,
    readonly errno: number,
    readonly op: string,
  ) {
    super(ConnectionError.code, message);
  }
}

/** Passed to handler.close(conn, err) when the idle timeout closed the connection. */
export class IdleTimeoutError extends GatioError {
  static readonly code = 'GATIO_ERR_IDLE_TIMEOUT';
  constructor(readonly idleTimeoutMs: number) {
    super(IdleTimeoutError.code, `no traffic for ${idleTimeoutMs} ms (idleTimeoutMs)`);
  }
}

/**
 * Passed to handler.close(conn, err) when a connection had more than the port's
 * maxQueuedSendBytes written and not yet sent (its peer does not read what it is sent).
 */
export class SendQueueOverflowError extends GatioError {
  static readonly code = 'GATIO_ERR_SEND_QUEUE_OVERFLOW';
  constructor(
    readonly queued: number,
    readonly maxQueuedSendBytes: number,
  ) {
    super(
      SendQueueOverflowError.code,
      `${queued} bytes were queued for sending, over the port's maxQueuedSendBytes (${maxQueuedSendBytes}): the peer ` +
        'does not read what it is sent. Stop reading while write() returns false (conn.pause(), then conn.resume() ' +
        "in the handler's drain), or raise ports[i].options.maxQueuedSendBytes",
    );
  }
}

function show(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

/**
 * A datagram longer than the port's receive buffer (bufferSize - 44 payload bytes) arrived cut:
 * passed to handler.error(socket, err) instead of delivering the partial bytes as a datagram.
 */
export class DatagramTruncatedError extends GatioError {
  static readonly code = 'GATIO_ERR_DATAGRAM_TRUNCATED';
  constructor(
    readonly size: number,
    readonly received: number,
    readonly bufferSize: number,
    readonly remote: { address: string; port: number; family: string },
  ) {
    super(
      DatagramTruncatedError.code,
      `a ${size}-byte datagram from ${remote.address}:${remote.port} was truncated to ${received} bytes: ` +
        `the port's options.bufferSize is ${bufferSize} (payload room ${bufferSize - 44}); raise bufferSize ` +
        `to at least ${Math.ceil((size + 44) / 8) * 8}`,
    );
  }
}

/** Datagrams of a send batch failed (e.g. EMSGSIZE, ENETUNREACH); passed to handler.error. */
export class DatagramSendError extends GatioError {
  static readonly code = 'GATIO_ERR_DATAGRAM_SEND';
  constructor(
    readonly failed: number,
    readonly errno: number,
    message: string,
  ) {
    super(DatagramSendError.code, message);
  }
}

/** The process credentials changed after a driver created its io_uring (core's class, one definition). */
export { CredentialsChangedError } from '@gatio/core';

/** address() of a service before Runtime.start resolved, or after the runtime stopped. */
export class ServiceNotStartedError extends GatioError {
  static readonly code = 'GATIO_ERR_SERVICE_NOT_STARTED';
  constructor(kind: string, state: 'not started' | 'stopped') {
    super(
      ServiceNotStartedError.code,
      state === 'stopped'
        ? `this ${kind} service's runtime has stopped: it has no address any more (a service object serves one runtime; create a new one)`
        : `this ${kind} service has no address yet: call address() after \`await Runtime.start({ services: [...] })\` resolved`,
    );
  }
}

registerErrorClasses([
  InvalidPortConfigError,
  PortConfigMismatchError,
  HandlerLoadError,
  ConnectionError,
  IdleTimeoutError,
  DatagramTruncatedError,
  DatagramSendError,
  ServiceNotStartedError,
]);
