/**
 * The main thread's view of a runtime's services: their plans, which driver runs what (grouped by
 * driver module, so one module starts all its services of a driver at once), the readiness check
 * and the end of their life. Runs on the main thread only.
 */
import { InvalidOptionError } from '../errors';
import type { DriverInfo } from '../runtime/scheduler';
import type { Service, ServicePlan } from './contract';

/** What one driver starts for one service module (structured-cloneable: part of DriverData). */
export interface DriverServiceGroup {
  module: string;
  metricsPrefix: string;
  /** Index into the runtime's services list, and that service's config, for each service. */
  services: Array<{ index: number; config: unknown }>;
}

/** A service object belongs to one runtime (its address, its reservation); never reused. */
const claimed = new WeakSet<Service>();

export class PlannedServices {
  private constructor(
    private readonly services: readonly Service[],
    private readonly plans: readonly ServicePlan[],
  ) {}

  /** Plans every service; on a failure the services already planned are told they stopped. */
  static async plan(services: readonly Service[], drivers: readonly DriverInfo[]): Promise<PlannedServices> {
    services.forEach((s, i) => {
      if (claimed.has(s)) {
        throw new InvalidOptionError(`services[${i}]`, `a service object not used by another runtime (create a new one: ${s.kind}({ ... }))`, s);
      }
    });
    for (const s of services) claimed.add(s);
    const defaultDrivers = drivers.filter((d) => d.kind !== 'exec').map((d) => d.id);
    const plans: ServicePlan[] = [];
    try {
      for (const [i, s] of services.entries()) {
        const plan = await s.plan({ drivers, defaultDrivers });
        checkPlan(plan, i, s, drivers);
        plans.push(plan);
      }
    } catch (error) {
      for (const s of services) s.stopped();
      throw error;
    }
    return new PlannedServices(services, plans);
  }

  get size(): number {
    return this.services.length;
  }

  /** The groups driver `id` starts, in a fixed order (its report comes back in the same order). */
  forDriver(id: number): DriverServiceGroup[] {
    const groups: DriverServiceGroup[] = [];
    this.plans.forEach((plan, index) => {
      if (!plan.drivers.includes(id)) return;
      let group = groups.find((g) => g.module === plan.module);
      if (group === undefined) groups.push((group = { module: plan.module, metricsPrefix: plan.metricsPrefix, services: [] }));
      group.services.push({ index, config: plan.config });
    });
    return groups;
  }

  /**
   * reportsOf(id): what driver `id` reported, one list per group of forDriver(id). Hands each
   * service the reports of its drivers; a service that throws refuses the start.
   */
  ready(reportsOf: (id: number) => unknown[][] | undefined): void {
    const perService = this.services.map(() => new Map<number, unknown>());
    const ids = new Set(this.plans.flatMap((p) => p.drivers));
    for (const id of ids) {
      const reports = reportsOf(id) ?? [];
      this.forDriver(id).forEach((group, g) => {
        group.services.forEach(({ index }, k) => perService[index].set(id, reports[g]?.[k]));
      });
    }
    this.services.forEach((s, i) => s.ready(perService[i]));
  }

  /**
   * A restarted driver reported: hands each of its services the reports of all their drivers
   * (the restarted one's new report included); a service that throws refuses that driver.
   */
  restarted(id: number, reportsOf: (id: number) => unknown[][] | undefined): void {
    const groups = this.forDriver(id);
    groups.forEach((group) => {
      for (const { index } of group.services) {
        const service = this.services[index];
        if (service.restarted === undefined) continue;
        const reports = new Map<number, unknown>();
        for (const d of this.plans[index].drivers) {
          const g = this.forDriver(d).findIndex((x) => x.module === group.module);
          const k = this.forDriver(d)[g]?.services.findIndex((x) => x.index === index) ?? -1;
          reports.set(d, k < 0 ? undefined : reportsOf(d)?.[g]?.[k]);
        }
        service.restarted(id, reports);
      }
    });
  }

  private ended = false;

  /** Tells every service the runtime stopped (once). */
  stopped(): void {
    if (this.ended) return;
    this.ended = true;
    for (const s of this.services) {
      try {
        s.stopped();
      } catch (error) {
        process.emitWarning(`gatio: service ${s.kind} threw in stopped(): ${(error as Error).message}`, 'GatioWarning');
      }
    }
  }
}

function checkPlan(plan: ServicePlan, i: number, s: Service, drivers: readonly DriverInfo[]): void {
  const where = `services[${i}]`;
  if (typeof plan !== 'object' || plan === null) throw new InvalidOptionError(where, 'a service whose plan() returns { drivers, module, config, metricsPrefix }', plan);
  if (typeof plan.module !== 'string' || !plan.module.startsWith('/')) {
    throw new InvalidOptionError(`${where} (${s.kind})`, 'a service whose driver module is an absolute path', plan.module);
  }
  if (typeof plan.metricsPrefix !== 'string' || !/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(plan.metricsPrefix)) {
    throw new InvalidOptionError(`${where} (${s.kind})`, 'a metrics prefix made of letters, digits and _', plan.metricsPrefix);
  }
  if (!Array.isArray(plan.drivers) || plan.drivers.length === 0) {
    throw new InvalidOptionError(`${where}.drivers (${s.kind})`, 'at least one io or hybrid driver (this runtime has none)', plan.drivers);
  }
  for (const id of plan.drivers) {
    const d = drivers[id];
    if (d === undefined || d.id !== id) {
      throw new InvalidOptionError(`${where}.drivers (${s.kind})`, `driver ids of this runtime (0 to ${drivers.length - 1})`, id);
    }
    if (d.kind === 'exec') {
      throw new InvalidOptionError(
        `${where}.drivers (${s.kind})`,
        `io or hybrid drivers: driver ${id} is an exec driver, which runs tasks only (make it 'hybrid', or leave it out)`,
        id,
      );
    }
  }
}
