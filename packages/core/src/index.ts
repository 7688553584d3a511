export { Runtime } from './runtime/runtime';
export type { DriverStats, DriverView, TpcStats } from './runtime/runtime';
export type { RuntimeOptions, DriverSpec } from './runtime/options';
export type { RunOptions, Priority } from './runtime/submitter';
export type { DriverInfo, DriverKind, Policy } from './runtime/scheduler';
export { current, CurrentDriver, NotInDriverError } from './current';
export type { TaskContext } from './driver/executor';
export * from './errors';
