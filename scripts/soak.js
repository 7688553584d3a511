'use strict';
// npm run soak -- --minutes N [--json]: a bounded soak (N from 0.1 to 60, default 1).
// - RESP: examples/resp/server.js (2 drivers) in a child, driven by redis-benchmark rounds
//   (SET/GET/PING/INCR, 50 clients, pipelined) until the time is up; errors are non-OK exits.
// - Tasks: a Runtime in this process runs a steady 2,000 tasks/s (test/fixtures/tasks.js); a
//   task is lost if it never settles, an error if it rejects or returns a wrong value.
// - Every 5 s: RSS (VmRSS) and open fds (/proc/<pid>/fd) of the RESP server and of this process.
// After a warm-up (the first third of the samples) the figures are "flat" when the last third's
// mean RSS is within 10% (or 8 MiB) of the middle third's and the peak fd count did not grow.
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { Runtime } = require('@gatio/core');
const { freePort } = require('../benchmarks/lib/proc');

const root = path.join(__dirname, '..');
const argv = process.argv.slice(2);
const flag = (name, dflt) => {
  const i = argv.indexOf(name);
  return i < 0 ? dflt : argv[i + 1];
};
const minutes = Number(flag('--minutes', 1));
if (!(minutes >= 0.1 && minutes <= 60)) throw new Error('--minutes must be a number from 0.1 to 60');
const json = argv.includes('--json');
const SAMPLE_MS = 5000;
const TASK_RATE = 2000; // per second, in 100 ms steps

const rss = (pid) => Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) * 1024;
const fds = (pid) => fs.readdirSync(`/proc/${pid}/fd`).length;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));


/** Runs a command asynchronously (the task load keeps going), killed after `ms`. */
function run(cmd, args, ms) {
  return new Promise((resolve) => {
    const c = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    c.stderr.on('data', (d) => (stderr += d));
    const t = setTimeout(() => c.kill('SIGKILL'), ms);
    c.once('exit', (status) => {
      clearTimeout(t);
      resolve({ status, stderr });
    });
  });
}

function flat(samples, key) {
  const n = samples.length;
  if (n < 6) return { flat: null, why: 'too few samples (run at least 0.5 minutes)' };
  const third = Math.floor(n / 3);
  const mean = (xs) => xs.reduce((a, s) => a + s[key], 0) / xs.length;
  const mid = mean(samples.slice(third, 2 * third));
  const last = mean(samples.slice(2 * third));
  if (key.endsWith('Fds')) {
    // Open connections come and go with the benchmark rounds: compare the peaks, not the means.
    const peak = (xs) => Math.max(...xs.map((x) => x[key]));
    return { flat: peak(samples.slice(2 * third)) <= peak(samples.slice(third, 2 * third)), mid: peak(samples.slice(third, 2 * third)), last: peak(samples.slice(2 * third)) };
  }
  return { flat: last - mid <= Math.max(0.1 * mid, 8 << 20), mid, last };
}

async function main() {
  const hasBench = spawnSync('redis-benchmark', ['--version']).status === 0;
  const port = await freePort();
  const server = spawn(process.execPath, [path.join(root, 'examples/resp/server.js'), '--port', String(port), '--drivers', '2'], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('the RESP server did not start in 10 s')), 10000);
    server.stdout.on('data', (d) => d.toString().includes('listening') && (clearTimeout(t), resolve()));
  });
  const rt = await Runtime.start({ filename: path.join(root, 'test/fixtures/tasks.js'), drivers: 2 });
  const end = Date.now() + minutes * 60000;
  const out = { minutes, resp: { rounds: 0, errors: 0, requests: 0, skipped: hasBench ? undefined : 'redis-benchmark not installed' }, tasks: { submitted: 0, ok: 0, errors: 0, lost: 0 }, samples: [] };

  const respLoad = (async () => {
    while (hasBench && Date.now() < end) {
      const r = await run('redis-benchmark', ['-h', '127.0.0.1', '-p', String(port), '-c', '50', '-n', '20000', '-P', '8', '-q', '-t', 'set,get,ping,incr'], Math.max(1000, Math.min(60000, end - Date.now() + 5000)));
      out.resp.rounds++;
      if (r.status !== 0 || /error/i.test(r.stderr ?? '')) out.resp.errors++;
      else out.resp.requests += 20000 * 4;
      await sleep(10);
    }
  })();
  const pending = new Set();
  const taskLoad = (async () => {
    let i = 0;
    while (Date.now() < end) {
      for (let k = 0; k < TASK_RATE / 10; k++, i++) {
        const n = i;
        out.tasks.submitted++;
        const p = rt.run(n).then(
          (v) => (v === n + 1 ? out.tasks.ok++ : out.tasks.errors++),
          () => out.tasks.errors++,
        );
        pending.add(p);
        p.finally(() => pending.delete(p));
      }
      await sleep(100);
    }
  })();
  const sampler = setInterval(() => {
    const s = { t: Math.round((Date.now() - (end - minutes * 60000)) / 1000), serverRss: rss(server.pid), serverFds: fds(server.pid), selfRss: rss(process.pid), selfFds: fds(process.pid) };
    out.samples.push(s);
    if (!json) console.log(`t=${s.t}s resp rss ${(s.serverRss / 2 ** 20).toFixed(1)} MiB fds ${s.serverFds} | tasks rss ${(s.selfRss / 2 ** 20).toFixed(1)} MiB fds ${s.selfFds}`);
  }, SAMPLE_MS);
  await Promise.all([respLoad, taskLoad]);
  clearInterval(sampler);
  const deadline = Date.now() + 10000;
  while (pending.size > 0 && Date.now() < deadline) await sleep(20);
  out.tasks.lost = pending.size;
  await rt.close();
  server.kill('SIGTERM');
  const code = await new Promise((r) => server.once('exit', r));
  out.resp.serverExit = code;
  out.verdict = {
    serverRss: flat(out.samples, 'serverRss'),
    serverFds: flat(out.samples, 'serverFds'),
    selfRss: flat(out.samples, 'selfRss'),
    selfFds: flat(out.samples, 'selfFds'),
  };
  out.ok = out.resp.errors === 0 && out.tasks.errors === 0 && out.tasks.lost === 0 && code === 0 && Object.values(out.verdict).every((v) => v.flat !== false);
  if (json) console.log(JSON.stringify(out));
  else {
    console.log(`RESP: ${out.resp.skipped ?? `${out.resp.rounds} redis-benchmark rounds, ${out.resp.requests} requests, ${out.resp.errors} errors`}; server exit ${code}`);
    console.log(`tasks: ${out.tasks.submitted} submitted, ${out.tasks.ok} ok, ${out.tasks.errors} errors, ${out.tasks.lost} lost`);
    for (const [k, v] of Object.entries(out.verdict)) console.log(`${k}: ${v.flat === null ? v.why : v.flat ? 'flat' : 'GROWING'}${v.mid !== undefined ? ` (${Math.round(v.mid)} -> ${Math.round(v.last)})` : ''}`);
    console.log(out.ok ? 'soak: OK' : 'soak: FAILED');
  }
  process.exit(out.ok ? 0 : 1);
}

main().catch((err) => {
  console.error(err.stack);
  process.exit(1);
});
