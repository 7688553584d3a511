'use strict';
// `npm run bench:udp [-- --json] [-- --quick]`: Gatio's UDP echo (examples/udp-echo) against
// node:dgram echo, one socket and one per server core, with 64-byte and 1,200-byte datagrams.
// The server is pinned to the server CPUs (all allowed CPUs but the last), the load generator
// (load.c, compiled here with cc) to the last CPU (taskset). Per case: echoed datagrams/s, loss
// (sent but never echoed), and the server's CPU time per echoed datagram: utime+stime from
// /proc/<pid>/stat of every server process (all threads) over the run.
const { spawn, execFileSync, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { TICK_US, cpuUs, freePort, has } = require('../lib/proc');

const root = path.join(__dirname, '..', '..');
const json = process.argv.includes('--json');
const quick = process.argv.includes('--quick');
const SECONDS = quick ? 1.5 : 5;
const FLOWS = 8;
const WINDOW = 16;
const log = (...a) => (json ? console.error(...a) : console.log(...a));



function buildLoad() {
  const out = path.join(os.tmpdir(), `gatio-udp-load-${process.getuid()}`);
  const src = path.join(__dirname, 'load.c');
  if (!fs.existsSync(out) || fs.statSync(out).mtimeMs < fs.statSync(src).mtimeMs) {
    const cc = has('cc') ? 'cc' : 'gcc';
    execFileSync(cc, ['-O2', '-o', out, src], { stdio: 'inherit' });
  }
  return out;
}

async function startServer(argv, cpus) {
  const child = spawn('taskset', ['-c', cpus, ...argv], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start: ${argv.join(' ')}`)), 15000);
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = /listening.*\n/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[0]);
      }
    });
    child.on('exit', (code) => reject(new Error(`server exited (${code}): ${argv.join(' ')}`)));
  });
  child.removeAllListeners('exit');
  const pids = /pids=([\d,]+)/.exec(line)?.[1].split(',').map(Number) ?? [child.pid];
  await new Promise((r) => setTimeout(r, 300));
  return { child, pids, line: line.trim() };
}

async function measure(server, size, load, cpus) {
  const port = await freePort();
  const { pids, line } = await startServer(server.argv(String(port)), cpus.server);
  try {
    // Warm-up (JIT, buffer rings, caches), not counted.
    spawnSync('taskset', ['-c', cpus.load, load, String(port), String(size), '0.3', String(FLOWS), String(WINDOW)]);
    const before = pids.reduce((a, p) => a + cpuUs(p), 0);
    const r = spawnSync('taskset', ['-c', cpus.load, load, String(port), String(size), String(SECONDS), String(FLOWS), String(WINDOW)], {
      encoding: 'utf8',
      timeout: (SECONDS + 10) * 1000,
    });
    const cpu = pids.reduce((a, p) => a + cpuUs(p), 0) - before;
    if (r.status !== 0) throw new Error(`load failed: ${r.stderr || r.stdout}`);
    const { sent, received, seconds } = JSON.parse(r.stdout);
    const res = {
      case: `echo ${size} B`,
      server: server.name,
      how: line.replace(/ pids=.*/, ''),
      dps: Math.round(received / seconds),
      loss: +((sent - received) / Math.max(1, sent)).toFixed(4),
      cpuUsPerDatagram: +(cpu / Math.max(1, received)).toFixed(3),
      sent,
      received,
    };
    log(`  ${res.case.padEnd(14)} ${res.server.padEnd(22)} ${String(res.dps).padStart(9)} dgram/s  loss ${(res.loss * 100).toFixed(2).padStart(6)}%  ${res.cpuUsPerDatagram.toFixed(3).padStart(7)} us CPU/dgram`);
    return res;
  } finally {
    for (const p of pids.reverse()) {
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
}

async function main() {
  if (!has('taskset')) throw new Error('taskset (util-linux) is needed to pin server and load generator apart');
  const allowed = execFileSync('taskset', ['-pc', String(process.pid)], { encoding: 'utf8' }).split(':')[1].trim();
  const cpuList = allowed.split(',').flatMap((r) => {
    const [a, b] = r.split('-').map(Number);
    return Array.from({ length: (b ?? a) - a + 1 }, (_, i) => a + i);
  });
  if (cpuList.length < 2) throw new Error('needs at least 2 CPUs: one for the load generator, the rest for the server');
  const cpus = { server: cpuList.slice(0, -1).join(','), load: String(cpuList[cpuList.length - 1]) };
  const perCore = cpuList.length - 1;
  const load = buildLoad();
  const gatioArgv = (p) => ['node', 'examples/udp-echo/server.js', '--port', p, '--drivers', String(perCore), '--cpus', cpus.server];
  const servers = [
    { name: `gatio (${perCore} driver${perCore > 1 ? 's' : ''})`, argv: gatioArgv },
    { name: 'node:dgram single', argv: (p) => ['node', 'benchmarks/udp/node-echo.js', p, 'single'] },
    { name: `node:dgram ${perCore}/core`, argv: (p) => ['node', 'benchmarks/udp/node-echo.js', p, 'percore', String(perCore)] },
  ];
  log(`server CPUs ${cpus.server}, load CPU ${cpus.load}; ${FLOWS} flows x ${WINDOW} in flight, ${SECONDS} s per case`);
  const results = [];
  for (const size of [64, 1200]) for (const s of servers) results.push(await measure(s, size, load, cpus));

  // Ratios: Gatio vs each competitor, per case. dps > 1 and cpu < 1 favour Gatio.
  const summary = [];
  for (const g of results.filter((r) => r.server.startsWith('gatio'))) {
    for (const c of results.filter((r) => r.case === g.case && !r.server.startsWith('gatio'))) {
      summary.push({ case: g.case, competitor: `${c.server} (${c.how})`, dpsRatio: +(g.dps / c.dps).toFixed(2), cpuRatio: +(g.cpuUsPerDatagram / c.cpuUsPerDatagram).toFixed(2) });
    }
  }
  if (json) {
    console.log(JSON.stringify({ suite: 'udp', cpus, seconds: SECONDS, flows: FLOWS, window: WINDOW, cpuTicksUs: TICK_US, results, summary }, null, 2));
  } else {
    console.log('\nGatio vs competitor (dgram/s ratio > 1 and CPU/dgram ratio < 1 favour Gatio; target >= 2 and <= 0.5 at 64 B)');
    console.table(summary);
  }
}

main().catch((err) => {
  console.error(err.stack || err.message);
  process.exit(1);
});
