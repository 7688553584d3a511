'use strict';
// Raw postMessage baseline: the least a worker pool built on MessagePort can do per task.
const { parentPort } = require('node:worker_threads');
parentPort.on('message', (msg) => {
  parentPort.postMessage({ id: msg.id, value: msg.name === 'echo' ? msg.value : msg.value + 1 });
});
