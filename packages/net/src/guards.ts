/**
 * The credentials guard of a driver's ring, on the driver thread that owns it.
 *
 * Credentials (CVE-2024-22017): io_uring runs requests with the credentials of the thread that
 * created the ring, so a process that drops privileges after Runtime.start would keep serving
 * with the old ones. Each ring records the process credentials when it is created (core's
 * readCredentials); the driver compares them (five cheap syscalls) on its periodic tick and
 * before arming new work, and on a change refuses with CredentialsChangedError.
 */
import { CredentialsChangedError, credentialsChange, readCredentials, type Credentials } from '@gatio/core';

export { readCredentials, type Credentials };

/** Throws CredentialsChangedError when the process credentials differ from `recorded`. */
export function checkCredentials(recorded: Credentials, driver: number): void {
  const changed = credentialsChange(recorded);
  if (changed !== '') throw new CredentialsChangedError(driver, changed, 'stops serving');
}
