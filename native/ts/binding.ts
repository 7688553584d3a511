// Loads the addon. node-gyp-build picks it: a build/Release made from source (a checkout, or an
// install that compiled because no prebuild matched), else the prebuild shipped in the tarball
// under prebuilds/<platform>-<arch>/ (Node-API: one binary for every Node version). With
// GATIO_NATIVE_DEBUG=1 it is build/Debug/gatio.node (`npm run build:debug --workspace @gatio/native`),
// loaded by path, since node-gyp-build would prefer a Release build beside it. Each worker thread
// that requires this module loads its own instance of the addon.
import * as path from 'node:path';
import nodeGypBuild = require('node-gyp-build');
import { GatioError, toNativeError } from './errors';

export interface RawTopology {
  nodes: Array<{ id: number; cpus: number[] }>;
  online: number[];
  allowed: number[];
  smt: number[][];
}

export interface RawProbe {
  setupErrno: number;
  kernel: string;
  featureBits: number;
  features: string[];
  opcodes: string[];
  probeErrno: number;
  singleIssuerDeferTaskrun: boolean;
  providedBufferRings: boolean;
  ioUringDisabled: number;
  memlockCur: number;
  memlockMax: number;
  /** Filled in by probe.ts, not the addon: /proc/self/status Seccomp (-1 unreadable). */
  seccomp?: number;
}

export interface Binding {
  topology(): RawTopology;
  pinThread(cpus: number[]): void;
  threadAffinity(): number[];
  processAffinity(): number[];
  threadId(): number;
  yieldThread(): void;
  ioUringProbe(): RawProbe;
}

/**
 * Where the addon comes from: a prebuild from the tarball, a build from source, the debug build,
 * or 'missing' when no file matches this platform (loading it then throws GATIO_ERR_NATIVE_LOAD).
 */
export type AddonSource = 'prebuilt' | 'compiled' | 'debug' | 'missing';

const packageRoot = path.join(__dirname, '..');
const debug = process.env.GATIO_NATIVE_DEBUG === '1';

function resolveAddon(): { path: string; error?: undefined } | { path: string; error: unknown } {
  if (debug) return { path: path.join(packageRoot, 'build', 'Debug', 'gatio.node') };
  try {
    return { path: nodeGypBuild.resolve(packageRoot) };
  } catch (error) {
    return { path: path.join(packageRoot, 'prebuilds', `${process.platform}-${process.arch}`), error };
  }
}

const resolved = resolveAddon();

/** The addon file this process loads (or, when none matches, the prebuilds folder it looked in). */
export const addonPath = resolved.path;

/** 'prebuilt' when the addon came from the tarball's prebuilds/, else how it was built here. */
export const addonSource: AddonSource = debug
  ? 'debug'
  : resolved.error !== undefined
    ? 'missing'
    : addonPath.split(path.sep).includes('prebuilds')
    ? 'prebuilt'
    : 'compiled';

class AddonLoadError extends GatioError {
  static readonly code = 'GATIO_ERR_NATIVE_LOAD';
  constructor(cause: unknown) {
    // One line: node-gyp-build's message spans two.
    const why = String((cause as Error)?.message ?? cause).trim().replace(/\s*\n\s*/g, ' ');
    super(AddonLoadError.code, `${why}. ${AddonLoadError.hint()}`, { cause });
  }

  private static hint(): string {
    if (debug) return 'Build it with `npm run build:debug --workspace @gatio/native` (GATIO_NATIVE_DEBUG=1 loads the debug build)';
    if (resolved.error !== undefined) {
      return (
        `No prebuilt addon matches ${process.platform}-${process.arch} here, so it must be compiled: ` +
        '`npm rebuild @gatio/native` (where npm holds back install scripts, `npm install-scripts approve @gatio/native` first), ' +
        'with python3, make and a C++17 compiler (Alpine: `apk add python3 make g++`)'
      );
    }
    return `cannot load ${addonPath}; reinstall @gatio/native (or \`npm run build --workspace @gatio/native\` in a checkout)`;
  }
}

let cached: Binding | undefined;

export function binding(): Binding {
  if (cached === undefined) {
    try {
      if (resolved.error !== undefined) throw resolved.error;
      cached = require(addonPath) as Binding;
    } catch (err) {
      throw new AddonLoadError(err);
    }
  }
  return cached;
}

/** Calls into the addon, turning its plain errors into typed ones (the single conversion point). */
export function call<T>(fn: (b: Binding) => T): T {
  const b = binding();
  try {
    return fn(b);
  } catch (err) {
    throw toNativeError(err);
  }
}
