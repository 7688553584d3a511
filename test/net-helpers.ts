// Helpers for the net-* tests: a runtime serving one port with a fixture handler, and bounded
// loopback clients (every wait has a deadline so a bug fails the test instead of hanging it).
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { Runtime } from '@gatio/core';
import { tcp } from '@gatio/net';

export const fixture = (name: string) => path.join(__dirname, 'fixtures', name);

export async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

export type Backend = 'io_uring' | 'libuv';
/** Back ends the network tests loop over (same handler API). */
export const backends: Backend[] = ['io_uring', 'libuv'];

export async function startServer(opts: { drivers?: number; options?: object; handler?: string; port?: number; backend?: Backend } = {}) {
  const port = opts.port ?? (await freePort());
  const n = opts.drivers ?? 1;
  const ids = Array.from({ length: n }, (_, i) => i);
  const rt = await Runtime.start({
    filename: fixture('net-tasks.js'),
    drivers: n,
    services: [tcp({ port, host: '127.0.0.1', drivers: ids, handler: opts.handler ?? fixture('net-probe-handler.js'), ...opts.options, backend: opts.backend })],
  });
  return { rt, port };
}

export function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
}

/** Reads `n` bytes, or what came within ms (one concat at the end: readUntil's per-chunk concat is quadratic in big streams). */
export function readBytes(s: net.Socket, n: number, ms = 30000): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let got = 0;
    const finish = () => {
      clearTimeout(timer);
      s.off('data', onData);
      resolve(Buffer.concat(chunks));
    };
    const onData = (d: Buffer) => {
      chunks.push(d);
      got += d.length;
      if (got >= n) finish();
    };
    const timer = setTimeout(finish, ms);
    s.on('data', onData);
  });
}

/** Writes `payload` in 64 KiB pieces, honouring the socket's backpressure. */
export async function writeAll(s: net.Socket, payload: Buffer): Promise<void> {
  for (let off = 0; off < payload.length; off += 1 << 16) {
    if (!s.write(payload.subarray(off, off + (1 << 16)))) await new Promise((r) => s.once('drain', r));
  }
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

/** Writes `text` on an open connection and reads back as many bytes (an echoing handler). */
export async function echo(s: net.Socket, text: string): Promise<string> {
  const r = readUntil(s, (b) => b.length >= text.length, 5000);
  s.write(text);
  return (await r).data.toString();
}

export const example = (name: string) => path.join(__dirname, '..', 'examples', name, 'server.js');

export interface ChildServer {
  pid: number;
  port: number;
  output: () => string;
  exited: Promise<number | null>;
  stop: () => Promise<number | null>;
}

/** Child servers still running; killed (by pid, SIGKILL) after each test file. */
const children = new Set<ChildProcess>();
afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
});

/** `p`, or a rejection naming `what` after `ms` (so a stuck child fails a test instead of hanging jest). */
export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  const t = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms)));
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

/**
 * Runs `node <script> --port P --drivers N` in a child process (optionally under `prlimit`, e.g.
 * `['--nofile=64:64']`) and waits for its "listening on" line (bounded).
 */
export async function spawnServer(
  script: string,
  opts: { drivers?: number; prlimit?: string[]; args?: string[]; env?: Record<string, string> } = {},
): Promise<ChildServer> {
  const port = await freePort();
  const nodeArgs = [script, '--port', String(port), '--drivers', String(opts.drivers ?? 1), ...(opts.args ?? [])];
  const how: SpawnOptions = { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...opts.env } };
  const child: ChildProcess = opts.prlimit ? spawn('prlimit', [...opts.prlimit, process.execPath, ...nodeArgs], how) : spawn(process.execPath, nodeArgs, how);
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const deadline = Date.now() + 10000;
  while (!out.includes('listening on')) {
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill('SIGKILL');
      throw new Error(`server ${script} did not start: ${out}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  children.add(child);
  void exited.then(() => children.delete(child));
  const stop = async () => {
    if (child.exitCode === null) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    const code = await exited;
    clearTimeout(timer);
    return code;
  };
  return { pid: child.pid!, port, output: () => out, exited, stop };
}

/** CPU ticks (utime + stime, all threads) of a process, from /proc/<pid>/stat. */
export function cpuTicks(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]);
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Samples `read` every 200 ms until two samples agree (up to 30 tries): where a stream comes to
 * rest, on a busy machine as on an idle one. Returns the settled value, or null if it never did.
 */
export async function settled(read: () => number | Promise<number>): Promise<number | null> {
  let last = await read();
  for (let i = 0; i < 30; i++) {
    await sleep(200);
    const now = await read();
    if (now === last) return now;
    last = now;
  }
  return null;
}
