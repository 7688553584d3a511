import { spawn } from 'node:child_process';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { join } from 'node:path';
import { Runtime, RuntimeClosedError } from '@gatio/core';
import { TASKS, caught } from './helpers';

function runFixture(args: string[], signal: NodeJS.Signals): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(__dirname, 'fixtures', 'rt-sigterm.js'), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`fixture did not exit: ${out}`));
    }, 20000);
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('ready') && !child.killed) child.kill(signal);
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

describe('shutdown', () => {
  test.each(['SIGTERM', 'SIGINT'] as const)('%s: accepted tasks finish, then the process exits with 0', async (signal) => {
    const { code, out } = await runFixture([], signal);
    expect(out.match(/^done$/gm)?.length).toBe(20);
    expect(code).toBe(0);
  });

  test('past the deadline what is left is rejected, and the process still exits', async () => {
    const { code, out } = await runFixture(['50'], 'SIGTERM');
    expect(out.match(/failed GATIO_ERR_RUNTIME_DESTROYED/g)?.length).toBe(20);
    expect(code).toBe(0);
  });

  test('close() with a deadline rejects leftovers; run() after close rejects', async () => {
    const rt = await Runtime.start({ filename: TASKS, drivers: 1, shutdown: { signals: false } });
    const slow = caught(rt.run(10_000, { name: 'sleep' }));
    const t0 = Date.now();
    await rt.close({ timeoutMs: 100 });
    expect(Date.now() - t0).toBeLessThan(3000);
    expect((await slow).code).toBe('GATIO_ERR_RUNTIME_DESTROYED');
    expect(await caught(rt.run(1))).toBeInstanceOf(RuntimeClosedError);
  });

  test('bad shutdown options name the option', async () => {
    await expect(Runtime.start({ filename: TASKS, shutdown: { timeoutMs: -5 } })).rejects.toThrow(/shutdown.timeoutMs/);
    await expect(Runtime.start({ filename: TASKS, shutdown: { signals: 'yes' as never } })).rejects.toThrow(/shutdown.signals/);
  });
});

describe('observability', () => {
  test('metrics() in Prometheus text format', async () => {
    const rt = await Runtime.start({ filename: TASKS });
    try {
      await Promise.all(Array.from({ length: 100 }, (_, i) => rt.run(i)));
      await caught(rt.run('x', { name: 'fail' }));
      // Drivers publish their counters after each batch: allow that batch to end.
      let text = await rt.metrics();
      for (let i = 0; i < 100 && !/^gatio_tasks_failed_total\{[^}]*\} 1$/m.test(text); i++) {
        await new Promise((r) => setTimeout(r, 10));
        text = await rt.metrics();
      }
      expect(text).toContain('# TYPE gatio_tasks_completed_total counter');
      const completed = [...text.matchAll(/^gatio_tasks_completed_total\{driver="(\d+)",tpc="\d+",cpu="\d+",kind="hybrid"\} (\d+)$/gm)];
      expect(completed.length).toBe(rt.drivers.length);
      expect(completed.reduce((a, m) => a + Number(m[2]), 0)).toBe(100); // the failed one counts apart
      expect(text).toMatch(/^gatio_tasks_failed_total\{[^}]*\} 1$/m);
      expect(text).toMatch(/^gatio_driver_busy_ratio\{/m);
    } finally {
      await rt.close();
    }
  });

  test('diagnostics_channel: driver start and crash', async () => {
    const starts: { driver: number; restart: boolean }[] = [];
    const crashes: { driver: number; reason: string }[] = [];
    const onStart = (m: unknown) => starts.push(m as { driver: number; restart: boolean });
    const onCrash = (m: unknown) => crashes.push(m as { driver: number; reason: string });
    subscribe('gatio:driver:start', onStart);
    subscribe('gatio:driver:crash', onCrash);
    try {
      const rt = await Runtime.start({ filename: TASKS, drivers: 1 });
      expect(starts).toEqual([expect.objectContaining({ driver: 0, restart: false })]);
      await caught(rt.run(null, { name: 'crash' }));
      for (let i = 0; i < 500 && starts.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
      expect(crashes).toEqual([expect.objectContaining({ driver: 0, reason: 'exit code 3' })]);
      expect(starts[1]).toEqual(expect.objectContaining({ driver: 0, restart: true }));
      await rt.close();
    } finally {
      unsubscribe('gatio:driver:start', onStart);
      unsubscribe('gatio:driver:crash', onCrash);
    }
  });
});
