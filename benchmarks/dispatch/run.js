#!/usr/bin/env node
'use strict';
/**
 * Dispatch benchmark: Gatio against piscina (default and concurrentTasksPerWorker 1000), tinypool
 * and raw postMessage, each in its own process, one after the other, in the same run.
 *   node benchmarks/dispatch/run.js [--json] [--quick] [--only a,b]
 * Prints a table with Gatio's ratio to each competitor, or JSON with --json.
 */
const { execFileSync } = require('node:child_process');
const path = require('node:path');
const os = require('node:os');

const args = process.argv.slice(2);
const json = args.includes('--json');
const quick = args.includes('--quick');
const onlyArg = args.indexOf('--only');
const names = onlyArg >= 0 ? args[onlyArg + 1].split(',') : ['gatio', 'piscina', 'piscina-c1000', 'tinypool', 'postMessage'];

const CASES = [
  { id: 'latency-busy', metric: 'p50', better: 'lower', title: 'one at a time, back to back (p50)' },
  { id: 'latency-busy', metric: 'p99', better: 'lower', title: 'one at a time, back to back (p99)' },
  { id: 'latency-idle', metric: 'p50', better: 'lower', title: 'one at a time after idle (p50)' },
  { id: 'latency-idle', metric: 'p99', better: 'lower', title: 'one at a time after idle (p99)' },
  { id: 'throughput-1k', metric: 'perSecond', better: 'higher', title: 'n => n + 1, 1,000 in flight' },
  { id: 'throughput-100k', metric: 'perSecond', better: 'higher', title: 'n => n + 1, 100,000 in flight' },
  { id: 'object-1k', metric: 'perSecond', better: 'higher', title: 'small object round trip, 1,000 in flight' },
  { id: 'bytes-1k', metric: 'perSecond', better: 'higher', title: '1 KiB Uint8Array round trip, 1,000 in flight' },
];

function runTrial(name) {
  const out = execFileSync(process.execPath, [path.join(__dirname, 'trial.js'), name, ...(quick ? ['--quick'] : [])], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 10 * 60 * 1000,
  });
  return JSON.parse(out.trim().split('\n').pop());
}

function main() {
  const trials = {};
  for (const name of names) {
    if (!json) process.stderr.write(`running ${name}...\n`);
    trials[name] = runTrial(name);
  }
  const gatio = trials.gatio;
  const rows = CASES.map((c) => {
    const unit = trials[names[0]].cases[c.id].unit;
    const values = Object.fromEntries(names.map((n) => [n, trials[n].cases[c.id][c.metric]]));
    // Ratio > 1 means Gatio is better, whatever the direction of the metric.
    const ratios = gatio
      ? Object.fromEntries(
          names.filter((n) => n !== 'gatio').map((n) => [n, c.better === 'higher' ? values.gatio / values[n] : values[n] / values.gatio]),
        )
      : {};
    return { case: `${c.id}.${c.metric}`, title: c.title, unit: c.metric === 'perSecond' ? 'tasks/s' : unit, better: c.better, values, ratios };
  });
  const result = {
    suite: 'dispatch',
    machine: { cpus: os.availableParallelism(), node: process.version, kernel: os.release() },
    labels: Object.fromEntries(names.map((n) => [n, trials[n].label])),
    rows,
  };
  if (json) {
    process.stdout.write(JSON.stringify(result, null, 2) + '\n');
    return;
  }
  const fmt = (v, unit) => (unit === 'us' ? `${v.toFixed(1)} us` : `${Math.round(v).toLocaleString('en-US')}/s`);
  console.log(`\nDispatch benchmark (${result.machine.cpus} CPUs, Node ${process.version}); ratio > 1 means Gatio is better`);
  for (const n of names) console.log(`  ${n}: ${result.labels[n]}`);
  const table = rows.map((r) => {
    const row = { case: r.title };
    for (const n of names) row[n] = fmt(r.values[n], r.unit);
    for (const [n, x] of Object.entries(r.ratios)) row[`vs ${n}`] = `${x.toFixed(2)}x`;
    return row;
  });
  console.table(table);
}

main();
