/**
 * Two guards of a driver's ring, both on the driver thread that owns it.
 *
 * Credentials (CVE-2024-22017): io_uring runs requests with the credentials of the thread that
 * created the ring, so a process that drops privileges after Runtime.start would keep serving
 * with the old ones. Each ring records the process credentials when it is created; the driver
 * compares them (five cheap syscalls) on its periodic tick and before arming new work, and on a
 * change refuses with CredentialsChangedError.
 *
 * process.exit inside a completion batch: a handler that calls process.exit() terminates the
 * thread while native code is still inside the batch callback, which today aborts the whole
 * process (the native pump makes N-API calls after a terminated callback). Until native/ stops
 * touching N-API once the callback returns with termination pending, exit() called during a
 * batch is deferred: it throws ExitDeferredError to unwind the handler (its connection closes)
 * and exits the thread from setImmediate, right after the batch, with the requested code.
 */
import { isMainThread } from 'node:worker_threads';
import { CredentialsChangedError, ExitDeferredError } from './errors';

export interface Credentials {
  uid: number;
  euid: number;
  gid: number;
  egid: number;
  groups: string;
}

export function readCredentials(): Credentials {
  return {
    uid: process.getuid!(),
    euid: process.geteuid!(),
    gid: process.getgid!(),
    egid: process.getegid!(),
    groups: process
      .getgroups!()
      .sort((a, b) => a - b)
      .join(','),
  };
}

/** Throws CredentialsChangedError when the process credentials differ from `recorded`. */
export function checkCredentials(recorded: Credentials, driver: number): void {
  const now = readCredentials();
  const changed = (Object.keys(recorded) as Array<keyof Credentials>).filter((k) => recorded[k] !== now[k]);
  if (changed.length > 0) {
    throw new CredentialsChangedError(driver, changed.map((k) => `${k} ${recorded[k]} -> ${now[k]}`).join(', '));
  }
}

/** Installs the exit deferral on this (driver) thread; `inBatch()` says whether a batch runs. */
let guarded = false;
export function guardExit(inBatch: () => boolean): void {
  if (isMainThread || guarded) return;
  guarded = true;
  const real = process.exit.bind(process);
  let deferred: number | undefined;
  process.exit = ((code?: number | string | null) => {
    if (!inBatch()) return real(code);
    const c = typeof code === 'number' ? code : Number(code ?? process.exitCode ?? 0);
    if (deferred === undefined) {
      deferred = c;
      setImmediate(() => real(deferred));
    }
    throw new ExitDeferredError(c);
  }) as typeof process.exit;
}
