'use strict';
/**
 * One competitor's trial, in a process of its own: `node trial.js <competitor> [--quick]`.
 * Prints one JSON line: { competitor, label, cases: { caseId: { value, unit, ... } } }.
 */
const { Bench } = require('tinybench');
const { competitors } = require('./pools');

const quick = process.argv.includes('--quick');
const TIME = quick ? 150 : 1000;
const WARMUP = quick ? 50 : 300;

const SMALL_OBJECT = { id: 12345, name: 'gatio-task', tags: ['alpha', 'beta', 'gamma'] };
const KIB = new Uint8Array(1024).fill(7);

function batch(pool, count, value, name) {
  const ps = new Array(count);
  for (let i = 0; i < count; i++) ps[i] = pool.run(value === undefined ? i : value, name);
  return Promise.all(ps);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** One task at a time after the pool went idle (its threads parked): the cold wake-up path. */
async function idleLatency(pool, samples) {
  const lat = [];
  for (let i = 0; i < samples; i++) {
    await sleep(3);
    const t0 = performance.now();
    await pool.run(i);
    lat.push((performance.now() - t0) * 1000);
  }
  lat.sort((a, b) => a - b);
  return { p50: lat[Math.floor(lat.length * 0.5)], p99: lat[Math.floor(lat.length * 0.99)] };
}

async function main() {
  const name = process.argv[2];
  const pool = await competitors[name]();
  const out = { competitor: name, label: pool.label, cases: {} };

  // Back to back, one in flight: the thread that ran the last task is still awake.
  const lat = new Bench({ time: TIME, warmupTime: WARMUP, warmupIterations: 200 });
  lat.add('latency', async () => {
    await pool.run(1);
  });
  await lat.run();
  const l = lat.tasks[0].result.latency;
  out.cases['latency-busy'] = { p50: l.p50 * 1000, p99: l.p99 * 1000, unit: 'us' };

  const idle = await idleLatency(pool, quick ? 30 : 200);
  out.cases['latency-idle'] = { ...idle, unit: 'us' };

  const cases = [
    ['throughput-1k', 1000, undefined, undefined],
    ['object-1k', 1000, SMALL_OBJECT, 'echo'],
    ['bytes-1k', 1000, KIB, 'echo'],
    ['throughput-100k', 100000, undefined, undefined],
  ];
  for (const [id, count, value, taskName] of cases) {
    const big = count >= 100000;
    // A 100k batch takes seconds on the slow pools: no warm-up rounds there (tinybench would run
    // 16), a fixed small number of measured ones.
    const bench = big
      ? new Bench({ time: 0, warmup: false, iterations: quick ? 1 : 3 })
      : new Bench({ time: TIME, warmupTime: WARMUP, warmupIterations: quick ? 4 : 16, iterations: quick ? 8 : 32 });
    bench.add(id, async () => {
      await batch(pool, count, value, taskName);
    });
    await bench.run();
    const r = bench.tasks[0].result;
    if (r.state !== 'completed') throw new Error(`${id}: ${r.state} ${r.error ?? ''}`);
    out.cases[id] = { perSecond: (count * 1000) / r.latency.mean, unit: 'tasks/s' };
  }
  // Check correctness once, so a fast wrong answer cannot win.
  const check = await batch(pool, 1000);
  if (!check.every((v, i) => v === i + 1)) throw new Error(`${name} returned wrong results`);
  await pool.close();
  process.stdout.write(JSON.stringify(out) + '\n');
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
