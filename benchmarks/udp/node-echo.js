'use strict';
// node:dgram echo for `npm run bench:udp`: `node node-echo.js PORT single|percore N`.
// single: one socket in this process. percore: N processes, each with its own socket; with
// dgram's `reusePort` (Node >= 22.12) each binds its own SO_REUSEPORT socket, on older Node
// (no reusePort) node:cluster shares one socket among N workers, the closest Node offers.
// Prints `listening <how> pids=<pid,...>` once every socket is bound.
const cluster = require('node:cluster');
const dgram = require('node:dgram');
const [port, mode, n] = [Number(process.argv[2]), process.argv[3] ?? 'single', Number(process.argv[4] ?? 1)];

function reusePortWorks() {
  const [major, minor] = process.versions.node.split('.').map(Number);
  return major > 22 || (major === 22 && minor >= 12);
}

function echo(opts, ready) {
  const s = dgram.createSocket(opts);
  s.on('message', (msg, rinfo) => s.send(msg, rinfo.port, rinfo.address));
  s.bind(port, '127.0.0.1', ready);
}

if (mode === 'single') {
  echo({ type: 'udp4' }, () => console.log(`listening single pids=${process.pid}`));
} else if (cluster.isPrimary) {
  const how = reusePortWorks() ? 'reusePort' : 'cluster-shared';
  const pids = [];
  for (let i = 0; i < n; i++) {
    const w = cluster.fork();
    w.on('message', (m) => {
      pids.push(m);
      if (pids.length === n) console.log(`listening ${how} pids=${[process.pid, ...pids].join(',')}`);
    });
  }
} else {
  echo({ type: 'udp4', reusePort: reusePortWorks(), exclusive: false }, () => process.send(process.pid));
}
