// Waiting on real state with a bound (the machine may be slow; a bug must fail, not hang), and
// reading the kernel's view of a port's listening sockets.
import * as fs from 'node:fs';

/** Resolves once `cond()` holds (checked every 20 ms); rejects naming `what` after `ms`. */
export async function waitFor(cond: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`waited ${ms} ms for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** How many sockets of this network namespace listen on TCP `port` (IPv4 and IPv6), per /proc/net. */
export function listenersOn(port: number): number {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  let n = 0;
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      continue; // no IPv6 here
    }
    for (const row of text.split('\n').slice(1)) {
      const f = row.trim().split(/\s+/);
      // f[1] = local address:port (hex), f[3] = state (0A = LISTEN)
      if (f.length > 3 && f[3] === '0A' && f[1].endsWith(`:${hexPort}`)) n++;
    }
  }
  return n;
}
