// Helpers of the rt-settle* tests: marker files shared with fixtures/rt-settle-tasks.js, bounded
// waits, and outcomes of task promises that record when they settled.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';

export const SETTLE_TASKS = join(__dirname, 'fixtures', 'rt-settle-tasks.js');

/** Same names as the fixture's marker(). */
export const marker = (token: string, suffix = ''): string => join(tmpdir(), `gatio-settle-${token}${suffix}`);

let seq = 0;
/** A token for one scenario's marker files; remove them with clearMarkers(token). */
export const newToken = (): string => `${process.pid}-${++seq}`;

/** Lets a driver held by the 'hold' / 'holdThenExit' tasks go on. */
export const release = (token: string): void => writeFileSync(marker(token, '.go'), '');

export const readMarker = (token: string, suffix: string): string | null =>
  existsSync(marker(token, suffix)) ? readFileSync(marker(token, suffix), 'utf8') : null;

export function clearMarkers(token: string): void {
  for (const suffix of ['.go', '.sent', '.done']) rmSync(marker(token, suffix), { force: true });
}

/** Polls `cond` every 10 ms; throws naming `what` if it is not reached within `ms`. */
export async function until(cond: () => boolean, what: string, ms = 15000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`${what}: not reached within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** `p`, or a rejection naming `what` if it has not settled within `ms`. */
export function within<T>(p: Promise<T>, what: string, ms = 15000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: did not settle within ${ms} ms`)), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/** How a task ended: its value, or its error's code ('value' for a result). */
export interface Outcome {
  code: string;
  value?: unknown;
  message?: string;
}

export interface Tracked {
  /** True once the task's promise settled (its handlers ran). */
  settled: boolean;
  outcome: Promise<Outcome>;
}

export function track(p: Promise<unknown>): Tracked {
  const t: Tracked = {
    settled: false,
    outcome: p.then(
      (value) => {
        t.settled = true;
        return { code: 'value', value };
      },
      (e: Error & { code?: string }) => {
        t.settled = true;
        return { code: e.code ?? e.name, message: e.message };
      },
    ),
  };
  return t;
}
