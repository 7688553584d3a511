'use strict';
// Helpers the server benchmarks share: CPU time of a process from /proc, a free loopback port,
// and whether a tool is installed.
const { execFileSync, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');

/** Microseconds per clock tick (utime/stime in /proc/<pid>/stat count ticks). */
const TICK_US = 1e6 / Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());

/** utime + stime of every thread of `pid` so far, in microseconds (0 once it is gone). */
function cpuUs(pid) {
  try {
    const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = f.slice(f.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * TICK_US; // utime, stime (fields 14, 15)
  } catch {
    return 0;
  }
}

/** A port free on 127.0.0.1 right now (the kernel picks it). */
async function freePort() {
  const s = net.createServer();
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

const has = (bin) => spawnSync('sh', ['-c', `command -v ${bin}`]).status === 0;

module.exports = { TICK_US, cpuUs, freePort, has };
