/**
 * A driver's side of its services: loads each service module, starts its services, and serves,
 * closes and measures them together. Runs on one driver thread only.
 */
import type { CurrentDriver } from '../current';
import type { DriverInfo } from '../runtime/scheduler';
import type { RunningServices, ServiceModule } from './contract';
import type { DriverServiceGroup } from './planned';

export class DriverServices {
  private constructor(
    private readonly groups: readonly DriverServiceGroup[],
    private readonly running: readonly RunningServices[],
  ) {}

  /**
   * Starts every group in order; if one fails, those already started are destroyed (nothing is
   * left open) and the error goes to the caller, which reports the start-up failure.
   */
  static async start(groups: readonly DriverServiceGroup[], ctx: { driver: DriverInfo; drivers: readonly DriverInfo[]; current: CurrentDriver }): Promise<DriverServices> {
    const running: RunningServices[] = [];
    try {
      for (const group of groups) {
        const mod = require(group.module) as Partial<ServiceModule>;
        if (typeof mod.startServices !== 'function') {
          throw new TypeError(`service module ${group.module} does not export startServices(configs, ctx)`);
        }
        running.push(await mod.startServices(group.services.map((s) => s.config), ctx));
      }
    } catch (error) {
      for (const r of running) r.destroy();
      throw error;
    }
    return new DriverServices(groups, running);
  }

  get empty(): boolean {
    return this.running.length === 0;
  }

  /** One list of reports per group (the main thread matches them with its plan). */
  reports(): unknown[][] {
    return this.running.map((r) => r.reports);
  }

  serve(): void {
    for (const r of this.running) r.serve();
  }

  /** Settles once every group closed; a group that fails to close counts as closed. */
  close(): Promise<void> {
    return Promise.all(this.running.map((r) => r.close().catch(() => {}))).then(() => {});
  }

  destroy(): void {
    for (const r of this.running) r.destroy();
  }

  /** Every group's figures under their full metric names (prefix + name). */
  stats(): Record<string, number> | undefined {
    if (this.running.length === 0) return undefined;
    const out: Record<string, number> = {};
    this.running.forEach((r, i) => {
      const s = r.stats?.();
      if (s === undefined) return;
      const prefix = this.groups[i].metricsPrefix;
      for (const [k, v] of Object.entries(s)) out[prefix + k] = (out[prefix + k] ?? 0) + v;
    });
    return out;
  }
}
