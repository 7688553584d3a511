'use strict';
/**
 * The competitors of the dispatch benchmark behind one shape: { run(value, name), close() }.
 * Every pool loads the same task module (task.js).
 */
const path = require('node:path');
const os = require('node:os');
const { Worker } = require('node:worker_threads');

const TASK = path.join(__dirname, 'task.js');

async function gatio() {
  const { Runtime } = require('@gatio/core');
  // On a small machine the main thread (which submits and resolves) needs a core of its own.
  const cpus = require('@gatio/native').topology().allowed.length;
  const drivers = Number(process.env.GATIO_DRIVERS) || Math.max(1, cpus - 1);
  const rt = await Runtime.start({ filename: TASK, drivers });
  const echo = { name: 'echo' };
  return {
    label: `gatio (${drivers} driver${drivers > 1 ? 's' : ''})`,
    run: (v, name) => (name ? rt.run(v, echo) : rt.run(v)),
    close: () => rt.close(),
  };
}

async function piscina(opts = {}, label = 'piscina') {
  const { Piscina } = require('piscina');
  const pool = new Piscina({ filename: TASK, ...opts });
  return {
    label,
    run: (v, name) => (name ? pool.run(v, { name }) : pool.run(v)),
    close: () => pool.destroy(),
  };
}

async function tinypool() {
  const { Tinypool } = require('tinypool');
  const pool = new Tinypool({ filename: TASK });
  return {
    label: 'tinypool',
    run: (v, name) => (name ? pool.run(v, { name }) : pool.run(v)),
    close: () => pool.destroy(),
  };
}

async function postMessage() {
  const workers = [];
  const pending = new Map();
  const n = Math.max(1, os.availableParallelism() - 1);
  for (let i = 0; i < n; i++) {
    const w = new Worker(path.join(__dirname, 'raw-worker.js'));
    w.on('message', (m) => {
      const resolve = pending.get(m.id);
      pending.delete(m.id);
      resolve(m.value);
    });
    workers.push(w);
  }
  let id = 0;
  return {
    label: `postMessage (${n} worker${n > 1 ? 's' : ''})`,
    run: (value, name) =>
      new Promise((resolve) => {
        const my = ++id;
        pending.set(my, resolve);
        workers[my % n].postMessage({ id: my, value, name });
      }),
    close: () => Promise.all(workers.map((w) => w.terminate())),
  };
}

const competitors = {
  gatio,
  piscina: () => piscina(),
  'piscina-c1000': () => piscina({ concurrentTasksPerWorker: 1000 }, 'piscina (concurrentTasksPerWorker 1000)'),
  tinypool,
  postMessage,
};

module.exports = { competitors };
