/**
 * attachDriver: called by each driver thread after its task module loaded and before it reports
 * ready. Loads the handler modules of the ports that list this driver and opens its listeners and
 * UDP sockets (bound, so the report names the bound port and a port in use fails the start). On
 * any failure everything opened so far is closed again. Nothing is accepted or received before
 * serve(), which the driver calls on the main thread's 'go': after the main thread has checked
 * every driver's report (checkReports), so a refused configuration never serves a connection.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { pathToFileURL } from 'node:url';
import { defaultOptions, type DriverDesc, type NormalizedPort, type PortReport } from './config';
import { DriverNet, type Handler, type Listener } from './driver-net';
import type { UdpHandler, UdpSocket } from './udp-socket';
import { ioUringProbe } from '@gatio/native';
import { LibuvNet } from './backend-libuv';
import { HandlerLoadError, InvalidPortConfigError } from './errors';

export interface AttachOptions {
  driver: DriverDesc | number;
  drivers?: readonly DriverDesc[];
  ports: readonly NormalizedPort[];
  /** core's `current` (current.run hands work to other drivers); handlers may also import it. */
  current?: unknown;
}

export interface DriverNetHandle {
  /** Per port served here: what this driver loaded. Structured-cloneable. */
  report: { driver: number; ports: PortReport[] };
  /** Start accepting and receiving (UDP open() runs here): on 'go', once every report was checked. */
  serve(): void;
  /** Stop accepting, end every connection (flushing writes), then close the ring. */
  close(): Promise<void>;
  /** Close the ring and every socket now. */
  destroy(): void;
  /** Figures for Runtime#metrics, Prometheus-style names (`_total` = counter). */
  stats(): Record<string, number>;
  /** @internal the driver's network state (tests, stats) */
  net: DriverNet | null;
  /** @internal ports served on node:net / node:dgram */
  libuv?: LibuvNet | null;
}

/** What a driver's networking counts, summed over its ports. */
export function netStats(net: DriverNet | null, libuv: LibuvNet | null = null): Record<string, number> {
  const out: Record<string, number> = {
    connections: 0,
    accepted_total: 0,
    refused_total: 0,
    accept_rearms_total: 0,
    accept_errors_total: 0,
    recv_enobufs_total: 0,
    cqes_total: 0,
    batches_total: 0,
    bytes_in_total: 0,
    bytes_out_total: 0,
    udp_received_total: 0,
    udp_sent_total: 0,
    udp_truncated_total: 0,
    udp_rearms_total: 0,
    cq_overflows_total: 0,
    send_blocks_in_use: 0,
    send_queued_bytes: 0,
    paused_connections: 0,
    send_queue_overflows_total: 0,
  };
  const all = [net, libuv].filter((x) => x !== null);
  for (const n of all) {
    out.connections += n.connections;
    out.cqes_total += n.counters.cqes;
    out.batches_total += n.counters.batches;
    out.bytes_in_total += n.counters.bytesIn;
    out.bytes_out_total += n.counters.bytesOut;
  }
  for (const n of all) out.send_queue_overflows_total += n.sendOverflows; // closed over maxQueuedSendBytes
  for (const l of all.flatMap((n): Array<{ stats: Listener['stats'] }> => n.listeners)) {
    out.accepted_total += l.stats.accepted;
    out.refused_total += l.stats.refused;
    out.accept_rearms_total += l.stats.acceptRearms;
    out.accept_errors_total += l.stats.acceptErrors;
    out.recv_enobufs_total += l.stats.enobufs;
  }
  for (const u of all.flatMap((n) => n.udp as Array<{ stats: UdpSocket['stats'] }>)) {
    out.udp_received_total += u.stats.received;
    out.udp_sent_total += u.stats.sent;
    out.udp_truncated_total += u.stats.truncated;
    out.udp_rearms_total += u.stats.rearms;
    out.recv_enobufs_total += u.stats.enobufs;
  }
  if (net !== null) {
    out.send_blocks_in_use = net.blocks.inUse;
    // Backpressure at a glance: bytes written and not yet sent, connections not reading.
    for (const conn of net.slots) {
      if (conn === undefined) continue;
      out.send_queued_bytes += conn.queued;
      if (conn.paused) out.paused_connections++;
    }
    // Sent, only their reports are held back (a closing connection no longer counts its bytes).
    out.send_queued_bytes = Math.max(0, out.send_queued_bytes - net.ring.control[1]);
    out.bytes_out_total += net.ring.control[1]; // sends completed, their report held back
  }
  return out;
}

// tsc (module commonjs) would turn import() into require(); keep a real dynamic import for ESM.
const dynamicImport = new Function('u', 'return import(u)') as (u: string) => Promise<Record<string, unknown>>;

/** sha1 of a handler file as loaded, so drivers can prove they run the same bytes. */
export function fileHash(file: string): string {
  try {
    return createHash('sha1').update(fs.readFileSync(file)).digest('hex');
  } catch {
    return 'unreadable';
  }
}

const shapes = {
  tcp: { main: 'data', others: ['open', 'close', 'drain', 'end'], usage: 'data(conn, bytes) (and optionally open(conn), close(conn, err), drain(conn), end(conn))' },
  udp: { main: 'message', others: ['open', 'close', 'error'], usage: 'message(socket, bytes, remote) (and optionally open(socket), close(socket), error(socket, err))' },
} as const;

export async function loadHandler(file: string, transport: 'tcp' | 'udp' = 'tcp'): Promise<Handler & UdpHandler> {
  let mod: Record<string, unknown>;
  try {
    mod = require(file) as Record<string, unknown>;
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ERR_REQUIRE_ESM') {
      mod = await dynamicImport(pathToFileURL(file).href);
    } else {
      throw new HandlerLoadError(file, `cannot be loaded: ${(err as Error).message}`);
    }
  }
  const h = (mod.default ?? mod) as Record<string, unknown>;
  const shape = shapes[transport];
  if (typeof h !== 'object' || h === null || typeof h[shape.main] !== 'function') {
    throw new HandlerLoadError(file, `its default export must be an object with ${shape.usage} for a ${transport} port`);
  }
  for (const name of shape.others) {
    if (h[name] !== undefined && typeof h[name] !== 'function') {
      throw new HandlerLoadError(file, `${name} must be a function, got ${typeof h[name]}`);
    }
  }
  return h as unknown as Handler & UdpHandler;
}

export async function attachDriver(options: AttachOptions): Promise<DriverNetHandle> {
  const id = typeof options.driver === 'number' ? options.driver : options.driver?.id;
  if (typeof id !== 'number') throw new InvalidPortConfigError('attachDriver: driver must be a driver id or { id }');
  const mine = options.ports.filter((p) => p.drivers.includes(id));
  if (mine.length === 0) {
    return { report: { driver: id, ports: [] }, serve: () => {}, close: async () => {}, destroy: () => {}, stats: () => netStats(null), net: null };
  }
  // One module instance per file and driver, checked for the shape each transport needs.
  const handlers = new Map<string, { handler: Handler & UdpHandler; hash: string }>();
  for (const p of mine) {
    if (!handlers.has(`${p.transport} ${p.handler}`)) {
      const handler = await loadHandler(p.handler, p.transport);
      handlers.set(`${p.transport} ${p.handler}`, { handler, hash: fileHash(p.handler) });
    }
  }
  // Back end per port: io_uring unless the port asks for libuv, or falls back where io_uring is
  // blocked (the probe says why; without fallback the ring creation fails with that reason).
  // tcp() / udp() decide this on the main thread already (service.ts): this is for direct callers.
  let probe: { usable: boolean } | null = null;
  const onLibuv = (p: NormalizedPort) => {
    if (p.backend === 'libuv') return true;
    if (p.fallback !== 'libuv') return false;
    probe ??= ioUringProbe();
    return !probe.usable;
  };
  const uv = mine.filter(onLibuv);
  const ring = mine.filter((p) => !uv.includes(p));
  const entries = Math.max(...ring.map((p) => (p.transport === 'tcp' ? p.options.ringEntries : defaultOptions.ringEntries)));
  const net = ring.length > 0 ? new DriverNet(id, entries) : null;
  const libuv = uv.length > 0 ? new LibuvNet(id) : null;
  const reports: PortReport[] = [];
  try {
    for (const p of mine) {
      const { handler, hash } = handlers.get(`${p.transport} ${p.handler}`)!;
      if (libuv !== null && uv.includes(p)) {
        reports.push(await (p.transport === 'udp' ? libuv.bindUdp(p, handler, hash) : libuv.listen(p, handler, hash)));
      } else {
        reports.push((p.transport === 'udp' ? net!.bindUdp(p, handler, hash) : net!.listen(p, handler, hash)).report());
      }
    }
  } catch (err) {
    net?.destroy();
    libuv?.destroy();
    throw err;
  }
  let serving = false;
  const serve = () => {
    if (serving) return;
    serving = true;
    net?.serve();
    libuv?.serve();
    // open(socket) once every port of this driver is bound and its start was accepted.
    for (const s of [...(net?.udp ?? []), ...(libuv?.udp ?? [])]) {
      try {
        s.handler.open?.(s as never);
      } catch (err) {
        process.emitWarning(`udp handler open() threw: ${(err as Error).message}`);
      }
    }
  };
  return {
    report: { driver: id, ports: reports },
    serve,
    close: async () => {
      await Promise.all([net?.close(), libuv?.close()]);
    },
    destroy: () => {
      net?.destroy();
      libuv?.destroy();
    },
    stats: () => netStats(net, libuv),
    net,
    libuv,
  };
}
