/**
 * Prometheus text exposition of a runtime's figures: per driver task counters and gauges, and
 * the figures a driver's services report (for @gatio/net: connections, bytes, CQEs, re-arms...).
 */
import type { DriverStats } from './stats';

interface Metric {
  name: string;
  help: string;
  type: 'counter' | 'gauge';
  value: (d: DriverStats) => number;
}

const TASK_METRICS: Metric[] = [
  { name: 'gatio_tasks_submitted_total', help: 'Tasks the main thread sent to the driver.', type: 'counter', value: (d) => d.submitted },
  { name: 'gatio_tasks_completed_total', help: 'Tasks the driver finished successfully (any sender).', type: 'counter', value: (d) => d.completed },
  { name: 'gatio_tasks_failed_total', help: 'Tasks that threw or rejected on the driver.', type: 'counter', value: (d) => d.failed },
  { name: 'gatio_tasks_running', help: 'Tasks started and not finished.', type: 'gauge', value: (d) => d.running },
  { name: 'gatio_tasks_queued', help: 'Tasks waiting on the main thread for ring space.', type: 'gauge', value: (d) => d.queued },
  { name: 'gatio_driver_restarts_total', help: 'Times the driver died and was restarted.', type: 'counter', value: (d) => d.restarts },
  { name: 'gatio_driver_busy_ratio', help: 'Share of wall time spent running task code.', type: 'gauge', value: (d) => d.busyRatio },
];

function labels(d: DriverStats, extra = ''): string {
  return `{driver="${d.id}",tpc="${d.tpc}",cpu="${d.cpu}",kind="${d.kind}"${extra}}`;
}

/**
 * `services[i]` is what driver i's services reported: full metric name (service prefix included,
 * e.g. gatio_net_connections) to value; names ending in `_total` are counters, the rest gauges.
 */
export function formatMetrics(drivers: DriverStats[], services: (Record<string, number> | undefined)[]): string {
  const lines: string[] = [];
  for (const m of TASK_METRICS) {
    lines.push(`# HELP ${m.name} ${m.help}`, `# TYPE ${m.name} ${m.type}`);
    for (const d of drivers) lines.push(`${m.name}${labels(d)} ${m.value(d)}`);
  }
  const names = new Set<string>();
  for (const n of services) if (n) for (const k of Object.keys(n)) names.add(k);
  for (const key of [...names].sort()) {
    const name = key.replace(/[^a-zA-Z0-9_]/g, '_');
    lines.push(`# HELP ${name} Figure '${key}' reported by the driver's services.`);
    lines.push(`# TYPE ${name} ${key.endsWith('_total') ? 'counter' : 'gauge'}`);
    drivers.forEach((d, i) => {
      const v = services[i]?.[key];
      if (typeof v === 'number') lines.push(`${name}${labels(d)} ${v}`);
    });
  }
  return lines.join('\n') + '\n';
}
