/**
 * The driver side of @gatio/net's services (the module `tcp()` and `udp()` plan on each driver):
 * every net service of a driver starts together, on one DriverNet and so on one io_uring.
 * Driver thread only.
 */
import type { RunningServices, ServiceContext } from '@gatio/core';
import { attachDriver } from './attach';
import type { NormalizedPort, PortReport } from './config';

export async function startServices(configs: unknown[], ctx: ServiceContext): Promise<RunningServices> {
  const ports = configs as NormalizedPort[];
  const handle = await attachDriver({ driver: ctx.driver, drivers: ctx.drivers, ports, current: ctx.current });
  // attachDriver reports the ports it serves in its own order: hand them back in the configs'.
  const reports = ports.map((p) =>
    handle.report.ports.find((r: PortReport) => r.port === p.port && r.host === p.host && r.transport === p.transport),
  );
  return {
    reports,
    serve: () => handle.serve(),
    close: () => handle.close(),
    destroy: () => handle.destroy(),
    stats: () => handle.stats(),
  };
}
