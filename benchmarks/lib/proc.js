'use strict';
// Helpers the server benchmarks share: CPU time of a process from /proc, a free loopback port,
// and whether a tool is installed.
const { execFileSync, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');

/** Microseconds per clock tick (utime/stime in /proc/<pid>/stat count ticks). */
const TICK_US = 1e6 / Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());

/** CPU time of every thread of `pid` so far, in microseconds: user, sys (kernel), total; 0s once it is gone. */
function cpuSplitUs(pid) {
  try {
    const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = f.slice(f.lastIndexOf(')') + 2).split(' ');
    const user = Number(fields[11]) * TICK_US; // utime (field 14)
    const sys = Number(fields[12]) * TICK_US; // stime (field 15)
    return { user, sys, total: user + sys };
  } catch {
    return { user: 0, sys: 0, total: 0 };
  }
}

/** utime + stime of every thread of `pid` so far, in microseconds (0 once it is gone). */
const cpuUs = (pid) => cpuSplitUs(pid).total;

/** A port free on 127.0.0.1 right now (the kernel picks it). */
async function freePort() {
  const s = net.createServer();
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

const has = (bin) => spawnSync('sh', ['-c', `command -v ${bin}`]).status === 0;

module.exports = { TICK_US, cpuUs, cpuSplitUs, freePort, has };
