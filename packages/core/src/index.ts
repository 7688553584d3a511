// `export *` rather than `export { x } from`: TypeScript compiles the latter to a `void 0` data
// property redefined as a getter, which turns the exports object into a dictionary, and then every
// `core.current` in user code compiled from `import { current } from '@gatio/core'` is a hash
// lookup (test/exports-fast.test.ts keeps this so).
export * from './runtime/runtime';
export type { RuntimeOptions, DriverSpec } from './runtime/options';
export type { RunOptions, Priority } from './runtime/submitter';
export type { DriverInfo, DriverKind, Policy } from './runtime/scheduler';
export * from './current';
export type { TaskContext } from './driver/executor';
export * from './errors';
export * from './runtime/credentials';
export * from './service/contract';
