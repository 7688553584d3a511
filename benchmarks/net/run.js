'use strict';
// `npm run bench:net [-- --json] [-- --quick] [-- --only resp|http|echo]`: Gatio's TCP servers against node:net, node:http
// and redis-server (when installed). Server pinned to CPU 0 (one driver), load generator pinned to
// CPU 1 (taskset). On 2 cores the load generator saturates first, so besides requests/s each
// case reports the server's CPU time per request: utime+stime from /proc/<pid>/stat (all of the
// server's threads) over the run, divided by the requests served, with its kernel part (stime). Every server of a suite runs at
// once; after a warm-up each case is measured in rounds where the servers take turns, and the
// median of the rounds is reported (3 rounds, 1 with --quick). Each suite also runs a reference,
// `C io_uring (floor)` (uring-floor.c, compiled here with cc): a minimal single-threaded C server on
// io_uring, i.e. what the kernel plus almost no user-space work costs. It is not a competitor: its
// ratios are reported apart (`floor`), never in the Gatio-vs-competitor summary.
const { spawn, spawnSync, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { TICK_US, cpuSplitUs, freePort, has } = require('../lib/proc');

const root = path.join(__dirname, '..', '..');
const json = process.argv.includes('--json');
const quick = process.argv.includes('--quick');
// `--only resp|http|echo` (repeatable): run just those suites.
const only = process.argv.flatMap((a, i) => (a === '--only' ? [process.argv[i + 1]] : []));
const wanted = (kind) => only.length === 0 || only.includes(kind);
const log = (...a) => (json ? console.error(...a) : console.log(...a));
const skipped = [];

const FLOOR = 'C io_uring (floor)';
/** Builds uring-floor.c into the temp dir (again when the source is newer); null if it cannot. */
function buildFloor() {
  const cc = ['cc', 'gcc'].find(has);
  if (!cc) {
    skipped.push(`${FLOOR}: no C compiler (apt-get install gcc)`);
    return null;
  }
  const out = path.join(os.tmpdir(), `gatio-uring-floor-${process.getuid()}`);
  const src = path.join(__dirname, 'uring-floor.c');
  try {
    if (!fs.existsSync(out) || fs.statSync(out).mtimeMs < fs.statSync(src).mtimeMs) {
      execFileSync(cc, ['-O2', '-Wall', '-Wextra', '-o', out, src], { stdio: 'inherit' });
    }
    return out;
  } catch (err) {
    skipped.push(`${FLOOR}: ${cc} failed (${err.message.split('\n')[0]})`);
    return null;
  }
}
const floorBin = buildFloor();
const floor = (mode) => (floorBin ? [[FLOOR, (p) => [floorBin, mode, p], (o) => o.includes('listening')]] : []);



async function startServer(argv, ready) {
  const child = spawn('taskset', ['-c', '0', ...argv], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start: ${argv.join(' ')}`)), 15000);
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      if (ready(out)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on('exit', (code) => reject(new Error(`server exited (${code}): ${argv.join(' ')}`)));
  });
  child.removeAllListeners('exit');
  await new Promise((r) => setTimeout(r, 300));
  return child;
}

function load(argv) {
  const r = spawnSync('taskset', ['-c', '1', ...argv], { encoding: 'utf8', timeout: 120000 });
  if (r.status !== 0) throw new Error(`${argv[0]} failed: ${r.stderr || r.stdout}`);
  return r.stdout;
}

const servers = {
  resp: [
    ['gatio', (p) => ['node', 'examples/resp/server.js', '--port', p, '--drivers', '1', '--cpus', '0'], (o) => o.includes('listening')],
    ['node:net', (p) => ['node', 'benchmarks/net/node-resp.js', p], (o) => o.includes('listening')],
    ...(has('redis-server')
      ? [['redis-server', (p) => ['redis-server', '--port', p, '--save', '', '--appendonly', 'no', '--bind', '127.0.0.1'], (o) => o.includes('Ready to accept')]]
      : []),
    ...floor('resp'),
  ],
  http: [
    ['gatio', (p) => ['node', 'examples/http/server.js', '--port', p, '--drivers', '1', '--cpus', '0'], (o) => o.includes('listening')],
    ['node:http', (p) => ['node', 'benchmarks/net/node-http.js', p, 'http'], (o) => o.includes('listening')],
    ['node:net raw', (p) => ['node', 'benchmarks/net/node-http.js', p, 'raw'], (o) => o.includes('listening')],
    ...floor('http'),
  ],
  echo: [
    ['gatio', (p) => ['node', 'examples/echo/server.js', '--port', p, '--drivers', '1', '--cpus', '0'], (o) => o.includes('listening')],
    ['node:net', (p) => ['node', 'benchmarks/net/node-echo.js', p], (o) => o.includes('listening')],
    ...floor('echo'),
  ],
};

const respTests = [
  ['ping', 'ping_mbulk'],
  ['set', 'set'],
  ['get', 'get'],
];

// An unmeasured run per server first, so every server is compared warm (JIT-compiled, heap
// grown): a cold Node server spends its first tens of thousands of requests compiling.
const warmUps = {
  resp: (port) => {
    load(['redis-benchmark', '-p', port, '-t', 'ping,set,get', '-c', '50', '-n', '20000', '-q']);
    load(['redis-benchmark', '-p', port, '-t', 'ping,set,get', '-c', '50', '-n', '100000', '-P', '16', '-q']);
  },
  http: (port) => load(['wrk', '-t1', '-c64', '-d1s', `http://127.0.0.1:${port}/`]),
  echo: (port) => load(['node', path.join(__dirname, 'echo-client.js'), port, '64', '64', '1']),
};

// Rounds per case: the servers take turns within each round, and the median counts. This VM's
// speed drifts over minutes (other tenants), so back-to-back turns compare like with like.
const ROUNDS = quick ? 1 : 3;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Starts every server of a suite at once (each idles on CPU 0 while the others are measured). */
async function measure(kind, list, runs) {
  const servers = [];
  const out = [];
  try {
    for (const [name, argvOf, ready] of list) {
      const port = String(await freePort());
      try {
        servers.push({ name, port, proc: await startServer(argvOf(port), ready) });
      } catch (err) {
        // The reference is optional (e.g. a kernel without IORING_SETUP_DEFER_TASKRUN).
        if (name !== FLOOR) throw err;
        skipped.push(`${kind} ${FLOOR}: ${err.message}`);
      }
    }
    // The reference must never fail the benchmark: if it breaks during a run, it leaves the suite.
    const optional = (s, fn) => {
      try {
        return fn();
      } catch (err) {
        if (s.name !== FLOOR) throw err;
        skipped.push(`${kind} ${FLOOR}: ${err.message.split('\n')[0]}`);
        s.proc.kill('SIGKILL');
        servers.splice(servers.indexOf(s), 1);
        return null;
      }
    };
    for (const s of [...servers]) optional(s, () => warmUps[kind](s.port));
    for (const run of runs) {
      const seen = new Map(servers.map((s) => [s.name, []]));
      for (let round = 0; round < ROUNDS; round++) {
        for (const s of [...servers]) {
          const before = cpuSplitUs(s.proc.pid);
          const result = optional(s, () => run(s.port));
          if (result === null) continue;
          const { requests, rps } = result;
          const after = cpuSplitUs(s.proc.pid);
          seen.get(s.name).push({ rps, cpu: (after.total - before.total) / requests, sys: (after.sys - before.sys) / requests, requests });
        }
      }
      for (const s of servers) {
        const xs = seen.get(s.name) ?? [];
        if (xs.length === 0) continue;
        const rps = median(xs.map((x) => x.rps));
        const cpu = median(xs.map((x) => x.cpu));
        // The kernel's part (stime): loopback TCP and wake-ups, which bound every server alike.
        const sys = median(xs.map((x) => x.sys));
        out.push({ case: run.label, server: s.name, rps: Math.round(rps), cpuUsPerReq: +cpu.toFixed(2), sysUsPerReq: +sys.toFixed(2), requests: xs[0].requests, rounds: xs.length });
        log(`  ${run.label.padEnd(22)} ${s.name.padEnd(18)} ${String(Math.round(rps)).padStart(8)} req/s  ${cpu.toFixed(2).padStart(6)} us CPU/req (kernel ${sys.toFixed(2)})`);
      }
    }
  } finally {
    for (const s of servers) s.proc.kill('SIGKILL');
  }
  return out;
}

function respRuns() {
  const runs = [];
  for (const pipeline of [1, 16]) {
    for (const [label, test] of respTests) {
      const n = (quick ? 0.3 : 1) * (pipeline === 1 ? 60000 : 400000);
      const run = (port) => {
        const csv = load(['redis-benchmark', '-p', port, '-t', test, '-c', '50', '-n', String(n), '-P', String(pipeline), '--csv']);
        const line = csv.trim().split('\n').find((l) => /^"[A-Z_]+"/.test(l));
        return { requests: n, rps: Number(JSON.parse(`[${line}]`)[1]) };
      };
      run.label = `resp ${label}${pipeline > 1 ? ' -P 16' : ''}`;
      runs.push(run);
    }
  }
  return runs;
}

function httpRuns() {
  const run = (port) => {
    const out = load(['wrk', '-t1', '-c64', `-d${quick ? 2 : 4}s`, `http://127.0.0.1:${port}/`]);
    return { requests: Number(/(\d+) requests in/.exec(out)[1]), rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)[1]) };
  };
  run.label = 'http wrk -c64';
  return [run];
}

function echoRuns() {
  const run = (port) => {
    const seconds = quick ? 2 : 4;
    const r = JSON.parse(load(['node', path.join(__dirname, 'echo-client.js'), port, '64', '64', String(seconds)]));
    return { requests: r.requests, rps: r.requests / r.seconds };
  };
  run.label = 'echo 64 conns x 64 B';
  return [run];
}

async function main() {
  if (!has('taskset')) throw new Error('taskset (util-linux) is needed to pin server and load generator');
  const results = [];
  if (!wanted('resp')) skipped.push('resp: not asked for (--only)');
  else if (has('redis-benchmark')) results.push(...(await measure('resp', servers.resp, respRuns())));
  else skipped.push('resp: redis-benchmark not installed (apt-get install redis-tools)');
  if (!wanted('http')) skipped.push('http: not asked for (--only)');
  else if (has('wrk')) results.push(...(await measure('http', servers.http, httpRuns())));
  else skipped.push('http: wrk not installed (apt-get install wrk)');
  if (wanted('echo')) results.push(...(await measure('echo', servers.echo, echoRuns())));

  // Ratios: Gatio vs each competitor, per case. cpu < 1 and rps > 1 favour Gatio. The floor gets
  // the same ratios in their own list: how far Gatio is from it, not a race to win.
  const summary = [];
  const floorRatios = [];
  for (const g of results.filter((r) => r.server === 'gatio')) {
    for (const c of results.filter((r) => r.case === g.case && r.server !== 'gatio')) {
      (c.server === FLOOR ? floorRatios : summary).push({ case: g.case, competitor: c.server, rpsRatio: +(g.rps / c.rps).toFixed(2), cpuRatio: +(g.cpuUsPerReq / c.cpuUsPerReq).toFixed(2) });
    }
  }
  if (json) {
    console.log(JSON.stringify({ suite: 'net', cpuTicksUs: TICK_US, results, summary, floor: floorRatios, skipped }, null, 2));
  } else {
    console.log('\nGatio vs competitor (rps ratio > 1 and CPU/req ratio < 1 favour Gatio)');
    console.table(summary);
    if (floorRatios.length) {
      console.log(`\nGatio vs ${FLOOR}, for reference (cpuRatio: Gatio's CPU/req as a multiple of the floor's)`);
      console.table(floorRatios);
    }
    for (const s of skipped) console.log(`skipped ${s}`);
  }
}

main().catch((err) => {
  console.error(err.stack || err.message);
  process.exit(1);
});
