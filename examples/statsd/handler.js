'use strict';
// Runs on every serving driver: parses StatsD datagrams into this driver's partial window and,
// every interval, hands the partial to the owner driver (driver 0) through the task rings with
// current.run(partial, { driver: 0, name: 'merge' }). The owner merges and prints the flush
// (see tasks.js). No locks, no shared memory beyond the rings: each window has one owner thread.
const { current } = require('@gatio/core');
const { emptyWindow, addPacket } = require('./aggregate');

const OWNER = 0;
const intervalMs = Number(process.env.GATIO_STATSD_INTERVAL_MS) || 10000;
let window = emptyWindow();
let timer = null;

function handOver() {
  if (window.lines === 0 && Object.keys(window.counters).length === 0) return;
  const partial = window;
  window = emptyWindow();
  current.run(partial, { driver: OWNER, name: 'merge' }).catch((err) => console.error(`statsd: merge failed: ${err.message}`));
}

module.exports = {
  open(socket) {
    // Partials go a little before the owner's flush so most land in the window they belong to.
    timer = setInterval(handOver, Math.max(10, intervalMs - Math.min(100, intervalMs / 10)));
    if (socket.driver === OWNER) require('./tasks').startFlushing(intervalMs);
  },
  message(socket, bytes) {
    // No copy: decode straight from the receive buffer (valid during this call only).
    addPacket(window, bytes.toString('utf8'));
  },
  error(socket, err) {
    console.error(`statsd: ${err.message}`);
  },
  close() {
    clearInterval(timer);
    handOver();
    require('./tasks').stopFlushing();
  },
};
