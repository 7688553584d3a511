// Helpers for the net-udp tests: a bounded request/response UDP client (every wait has a
// deadline, lost datagrams are retried a few times) and a runtime serving UDP ports.
import * as dgram from 'node:dgram';
import { Runtime } from '@gatio/core';
import { tcp, udp } from '@gatio/net';
import { fixture, freePort } from './net-helpers';

export { fixture, freePort };

export async function startUdp(
  ports: Array<{ port: number; host?: string; drivers?: number[]; transport?: 'tcp' | 'udp'; handler?: string; options?: object }>,
  drivers = 1,
  backend: 'io_uring' | 'libuv' = 'io_uring',
) {
  return Runtime.start({
    filename: fixture('net-tasks.js'),
    drivers,
    services: ports.map(({ options, transport, ...p }) =>
      (transport === 'tcp' ? tcp : udp)({ host: '127.0.0.1', drivers: [0], handler: fixture('net-udp-handler.js'), backend, ...p, ...options }),
    ),
  });
}

export class UdpClient {
  readonly socket: dgram.Socket;
  private waiters: Array<(m: Buffer) => void> = [];
  readonly inbox: Buffer[] = [];
  private constructor(family: 'udp4' | 'udp6') {
    this.socket = dgram.createSocket({ type: family, recvBufferSize: 8 << 20, sendBufferSize: 8 << 20 });
    this.socket.on('message', (m) => {
      const w = this.waiters.shift();
      if (w) w(m);
      else this.inbox.push(m);
    });
  }

  static async open(family: 'udp4' | 'udp6' = 'udp4'): Promise<UdpClient> {
    const c = new UdpClient(family);
    await new Promise<void>((r) => c.socket.bind(0, family === 'udp4' ? '127.0.0.1' : '::1', r));
    return c;
  }

  /** The next datagram, or null after ms. */
  next(ms = 2000): Promise<Buffer | null> {
    const m = this.inbox.shift();
    if (m) return Promise.resolve(m);
    return new Promise((resolve) => {
      const w = (b: Buffer) => {
        clearTimeout(timer);
        resolve(b);
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((x) => x !== w);
        resolve(null);
      }, ms);
      this.waiters.push(w);
    });
  }

  send(msg: Buffer | string, port: number, host = '127.0.0.1'): Promise<void> {
    return new Promise((resolve, reject) => this.socket.send(msg, port, host, (err) => (err ? reject(err) : resolve())));
  }

  /** Sends and waits for one answer, retrying up to `tries` times on loss. */
  async ask(msg: Buffer | string, port: number, host = '127.0.0.1', tries = 3, ms = 1000): Promise<Buffer | null> {
    for (let i = 0; i < tries; i++) {
      await this.send(msg, port, host);
      const r = await this.next(ms);
      if (r !== null) return r;
    }
    return null;
  }

  close(): void {
    this.socket.close();
  }
}
