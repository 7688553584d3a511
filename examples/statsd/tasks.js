'use strict';
// Task module, loaded on every driver; only the owner (driver 0) receives `merge` tasks. The
// owner keeps the merged window and, every interval, prints one JSON line per flush:
//   {"flush":<ms epoch>,"counters":{name:{count,rate}},"gauges":{name:v},"timers":{name:{...}}}
const { emptyWindow, merge, summarize } = require('./aggregate');

let window = emptyWindow();
const gauges = {};
let timer = null;
let last = Date.now();

function flush() {
  const now = Date.now();
  const summary = summarize(window, gauges, (now - last) / 1000);
  window = emptyWindow();
  last = now;
  console.log(JSON.stringify({ flush: now, ...summary }));
}

module.exports = () => null;
module.exports.merge = (partial) => {
  merge(window, partial, gauges);
  return null;
};
module.exports.startFlushing = (ms) => {
  last = Date.now();
  timer = setInterval(flush, ms);
};
module.exports.stopFlushing = () => {
  if (timer !== null) clearInterval(timer);
  timer = null;
};
