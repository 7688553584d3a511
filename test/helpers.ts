import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const TASKS = join(__dirname, 'fixtures', 'tasks.js');

/** Cpus_allowed_list of one thread of this process, parsed into CPU numbers. */
export function cpusAllowed(tid: number): number[] {
  const status = readFileSync(`/proc/self/task/${tid}/status`, 'utf8');
  const line = /Cpus_allowed_list:\s*(\S+)/.exec(status)![1];
  const out: number[] = [];
  for (const part of line.split(',')) {
    const [a, b] = part.split('-').map(Number);
    for (let c = a; c <= (b ?? a); c++) out.push(c);
  }
  return out;
}

/** Deterministic pseudo-random numbers (mulberry32), so failures replay. */
export function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const allowedCpus = (): number[] => require('@gatio/native').topology().allowed;

export type Caught = Error & { code?: string; [key: string]: unknown };

/** The rejection of `p`; fails the test if `p` resolves. */
export function caught(p: Promise<unknown>): Promise<Caught> {
  return p.then(
    (value) => {
      throw new Error(`expected a rejection, got ${String(value)}`);
    },
    (error) => error as Caught,
  );
}
