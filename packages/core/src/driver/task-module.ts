/**
 * Loads the task module on a driver and finds its task functions: the default export when no name
 * is given, otherwise the named export (for CommonJS, an own property of module.exports).
 */
import { pathToFileURL } from 'node:url';
import { UnknownTaskError } from '../errors';

// A real dynamic import(): TypeScript's CommonJS output would turn `import()` into require(),
// which cannot load ES modules. import() loads both ESM and CommonJS task modules.
const importModule = new Function('url', 'return import(url)') as (url: string) => Promise<Record<string, unknown>>;

export type TaskFn = (arg: unknown, ctx: unknown) => unknown;

export class TaskModule {
  private readonly cache = new Map<string | undefined, TaskFn>();

  private constructor(
    readonly filename: string,
    private readonly ns: Record<string, unknown>,
  ) {}

  /** A runtime without a task module (it only serves): every lookup is an UnknownTaskError. */
  static none(): TaskModule {
    return new TaskModule('(no task module: Runtime.start got no filename)', Object.create(null) as Record<string, unknown>);
  }

  static async load(filename: string): Promise<TaskModule> {
    const url = filename.startsWith('file:') ? filename : pathToFileURL(filename).href;
    const ns = await importModule(url);
    return new TaskModule(filename, ns);
  }

  /** The task function, or an UnknownTaskError to send back. */
  lookup(name: string | undefined): TaskFn | UnknownTaskError {
    const hit = this.cache.get(name);
    if (hit !== undefined) return hit;
    const fn = name === undefined ? this.ns.default : this.exported(name);
    if (typeof fn !== 'function') return new UnknownTaskError(name, this.filename, this.exportedNames());
    this.cache.set(name, fn as TaskFn);
    return fn as TaskFn;
  }

  /**
   * An own property of the namespace, else of the default export (CommonJS: module.exports).
   * Own only: an inherited name ('constructor', 'call', 'toString', '__proto__') must not reach
   * Function or Object.prototype, so a caller cannot run what the module did not export.
   */
  private exported(name: string): unknown {
    const ns = this.ns;
    if (Object.hasOwn(ns, name) && typeof ns[name] === 'function') return ns[name];
    const def = ns.default;
    if ((typeof def === 'object' || typeof def === 'function') && def !== null && Object.hasOwn(def, name)) {
      return (def as Record<string, unknown>)[name];
    }
    return undefined;
  }

  private exportedNames(): string[] {
    const names = new Set<string>();
    for (const [k, v] of Object.entries(this.ns)) if (typeof v === 'function') names.add(k === 'default' ? 'default' : k);
    const def = this.ns.default;
    if (def !== null && (typeof def === 'object' || typeof def === 'function')) {
      for (const [k, v] of Object.entries(def)) if (typeof v === 'function') names.add(k);
    }
    return [...names];
  }
}
