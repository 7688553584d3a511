// Ring::Submit passes every SQE the kernel has not consumed, not only those queued since the last
// call: SQEs a partial submit left in the SQ go with the next enter. GATIO_TEST_SUBMIT_CAP (test
// only, read by each ring at setup) caps what one io_uring_enter may pass, forcing partial submits.
// Runs in a child process: the cap is read from the environment, and a stranded SQE would keep
// the ring open.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

const script = path.join(__dirname, 'fixtures', 'native-submit-cap.js');

function runCapped(cap: number | undefined, count: number, entries: number) {
  const env = { ...process.env };
  if (cap === undefined) delete env.GATIO_TEST_SUBMIT_CAP;
  else env.GATIO_TEST_SUBMIT_CAP = String(cap);
  const child = spawnSync(process.execPath, [script, String(count), String(entries)], { encoding: 'utf8', env, timeout: 60000 });
  expect({ signal: child.signal, stderr: child.stderr }).toEqual({ signal: null, stderr: '' });
  return { status: child.status, ...JSON.parse(child.stdout) };
}

describe.each([
  ['fewer operations than SQ entries', 12, 16],
  ['more operations than SQ entries (queuing submits from inside the ring)', 40, 16],
])('%s', (_, count, entries) => {
  test.each([1, 3])('with at most %i SQEs per enter, every operation still completes', (cap) => {
    const r = runCapped(cap, count, entries);
    // The cap is in force: one flush() passed no more than it.
    expect(r.flushed).toBeGreaterThan(0);
    expect(r.flushed).toBeLessThanOrEqual(cap);
    expect({ status: r.status, completed: r.completed, wrong: r.wrong }).toEqual({ status: 0, completed: count, wrong: 0 });
  });

  test('without a cap, one flush submits everything queued since the SQ last filled', () => {
    const r = runCapped(undefined, count, entries);
    expect({ status: r.status, completed: r.completed, wrong: r.wrong }).toEqual({ status: 0, completed: count, wrong: 0 });
    if (count <= entries) expect(r.flushed).toBe(count);
  });
});

test('a runtime whose driver rings pass one SQE per enter serves TCP end to end', () => {
  // The io_uring TCP path (accept, multishot recv, mixed and partial sends, close) in drivers that
  // load the addon with the cap: with stranded SQEs the listener is never armed and this hangs.
  const workout = path.join(__dirname, 'fixtures', 'net-ring-workout.js');
  const env = { ...process.env, GATIO_TEST_SUBMIT_CAP: '1' };
  const child = spawnSync(process.execPath, [workout], { encoding: 'utf8', env, timeout: 45000, killSignal: 'SIGKILL' });
  expect({ signal: child.signal, status: child.status, stderr: child.stderr }).toEqual({ signal: null, status: 0, stderr: '' });
  expect(child.stdout).toContain('net-ring-workout OK');
});
