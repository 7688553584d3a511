/**
 * The process credentials a runtime started with. io_uring requests run with the credentials of
 * the thread that created the ring (CVE-2024-22017); a driver restarted after the process changed
 * them would hold a ring with other credentials than its siblings, so the runtime refuses.
 */
export type Credentials = Record<'uid' | 'euid' | 'gid' | 'egid' | 'groups', string>;

export function readCredentials(): Credentials {
  return {
    uid: String(process.getuid?.()),
    euid: String(process.geteuid?.()),
    gid: String(process.getgid?.()),
    egid: String(process.getegid?.()),
    groups: (process.getgroups?.() ?? []).sort((a, b) => a - b).join(','),
  };
}

/** What changed since `then`, e.g. "euid 0 -> 65534", or '' when nothing did. */
export function credentialsChange(then: Credentials): string {
  const now = readCredentials();
  return (Object.keys(then) as (keyof Credentials)[])
    .filter((k) => then[k] !== now[k])
    .map((k) => `${k} ${then[k]} -> ${now[k]}`)
    .join(', ');
}
