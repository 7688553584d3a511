/**
 * The credentials guard of a driver's ring, on the driver thread that owns it.
 *
 * Credentials (CVE-2024-22017): io_uring runs requests with the credentials of the thread that
 * created the ring, so a process that drops privileges after Runtime.start would keep serving
 * with the old ones. Each ring records the process credentials when it is created; the driver
 * compares them (five cheap syscalls) on its periodic tick and before arming new work, and on a
 * change refuses with CredentialsChangedError.
 */
import { CredentialsChangedError } from './errors';

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
