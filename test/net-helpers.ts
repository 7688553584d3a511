// Helpers for the net-* tests: a runtime serving one port with a fixture handler, and bounded
// loopback clients (every wait has a deadline so a bug fails the test instead of hanging it).
import * as net from 'node:net';
import * as path from 'node:path';
import { Runtime } from '@gatio/core';

export const fixture = (name: string) => path.join(__dirname, 'fixtures', name);

export async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

export async function startServer(opts: { drivers?: number; options?: object; handler?: string; port?: number } = {}) {
  const port = opts.port ?? (await freePort());
  const n = opts.drivers ?? 1;
  const ids = Array.from({ length: n }, (_, i) => i);
  const rt = await Runtime.start({
    filename: fixture('net-tasks.js'),
    drivers: n,
    ports: [{ port, host: '127.0.0.1', transport: 'tcp', drivers: ids, handler: opts.handler ?? fixture('net-probe-handler.js'), options: opts.options }],
  });
  return { rt, port };
}

export function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
}

/** Reads until `until(bytes so far)` holds, the socket ends, or ms pass. */
export function readUntil(s: net.Socket, until: (b: Buffer) => boolean, ms = 5000): Promise<{ data: Buffer; ended: boolean }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let total = Buffer.alloc(0);
    const finish = (ended: boolean) => {
      clearTimeout(timer);
      s.off('data', onData);
      s.off('end', onEnd);
      s.off('close', onEnd);
      resolve({ data: total, ended });
    };
    const onData = (d: Buffer) => {
      chunks.push(d);
      total = Buffer.concat(chunks);
      if (until(total)) finish(false);
    };
    const onEnd = () => finish(true);
    const timer = setTimeout(() => finish(false), ms);
    s.on('data', onData);
    s.once('end', onEnd);
    s.once('close', onEnd);
  });
}

export async function ask(port: number, question: string): Promise<string> {
  const s = await connect(port);
  s.write(`${question}\n`);
  const { data } = await readUntil(s, (b) => b.includes(10));
  s.destroy();
  return data.toString().trim();
}
