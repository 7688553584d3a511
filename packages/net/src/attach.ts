/**
 * attachDriver: called by each driver thread after its task module loaded and before it reports
 * ready. Opens this driver's listeners for the ports that list it, loads their handler modules
 * and arms the multishot accepts. On any failure everything opened so far is closed again.
 */
import { pathToFileURL } from 'node:url';
import type { DriverDesc, NormalizedPort, PortReport } from './config';
import { DriverNet, fileHash, type Handler } from './driver-net';
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
  /** Stop accepting, end every connection (flushing writes), then close the ring. */
  close(): Promise<void>;
  /** Close the ring and every socket now. */
  destroy(): void;
  /** @internal the driver's network state (tests, stats) */
  net: DriverNet | null;
}

// tsc (module commonjs) would turn import() into require(); keep a real dynamic import for ESM.
const dynamicImport = new Function('u', 'return import(u)') as (u: string) => Promise<Record<string, unknown>>;

export async function loadHandler(file: string): Promise<Handler> {
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
  const h = (mod.default ?? mod) as Partial<Handler>;
  if (typeof h !== 'object' || h === null || typeof h.data !== 'function') {
    throw new HandlerLoadError(file, 'its default export must be an object with data(conn, bytes) (and optionally open(conn), close(conn, err), drain(conn), end(conn))');
  }
  for (const name of ['open', 'close', 'drain', 'end'] as const) {
    if (h[name] !== undefined && typeof h[name] !== 'function') {
      throw new HandlerLoadError(file, `${name} must be a function, got ${typeof h[name]}`);
    }
  }
  return h as Handler;
}

export async function attachDriver(options: AttachOptions): Promise<DriverNetHandle> {
  const id = typeof options.driver === 'number' ? options.driver : options.driver?.id;
  if (typeof id !== 'number') throw new InvalidPortConfigError('attachDriver: driver must be a driver id or { id }');
  const mine = options.ports.filter((p) => p.drivers.includes(id));
  if (mine.length === 0) {
    return { report: { driver: id, ports: [] }, close: async () => {}, destroy: () => {}, net: null };
  }
  const handlers = new Map<string, { handler: Handler; hash: string }>();
  for (const p of mine) {
    if (!handlers.has(p.handler)) {
      const handler = await loadHandler(p.handler);
      handlers.set(p.handler, { handler, hash: fileHash(p.handler) });
    }
  }
  const net = new DriverNet(id);
  try {
    for (const p of mine) {
      const { handler, hash } = handlers.get(p.handler)!;
      net.listen(p, handler, hash);
    }
  } catch (err) {
    net.destroy();
    throw err;
  }
  return {
    report: { driver: id, ports: net.listeners.map((l) => l.report()) },
    close: () => net.close(),
    destroy: () => net.destroy(),
    net,
  };
}
