// Loads the compiled addon: build/Release/gatio.node, or build/Debug/gatio.node when
// GATIO_NATIVE_DEBUG=1 (`npm run build:debug --workspace @gatio/native`). Each worker thread that
// requires this module loads its own instance of the addon.
import * as path from 'node:path';
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

export const addonPath = path.join(
  __dirname,
  '..',
  'build',
  process.env.GATIO_NATIVE_DEBUG === '1' ? 'Debug' : 'Release',
  'gatio.node',
);

class AddonLoadError extends GatioError {
  static readonly code = 'GATIO_ERR_NATIVE_LOAD';
  constructor(cause: unknown) {
    super(
      AddonLoadError.code,
      `cannot load ${addonPath}: ${(cause as Error)?.message ?? cause}. ` +
        'Build it with `npm run build --workspace @gatio/native`' +
        (process.env.GATIO_NATIVE_DEBUG === '1' ? ' (build:debug for GATIO_NATIVE_DEBUG=1)' : ''),
      { cause },
    );
  }
}

let cached: Binding | undefined;

export function binding(): Binding {
  if (cached === undefined) {
    try {
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
