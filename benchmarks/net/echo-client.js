'use strict';
// Echo load: `node echo-client.js PORT CONNS SIZE SECONDS`. Each connection keeps one message of
// SIZE bytes in flight (send, wait for the full echo, repeat). Prints { requests, seconds }; exits 1
// when a connection fails while the load runs, or nothing was echoed (a dead server is no result).
const net = require('node:net');
const [port, conns, size, seconds] = process.argv.slice(2).map(Number);
const msg = Buffer.alloc(size, 97);
let requests = 0;
let running = true;
let failure = null;
const t0 = process.hrtime.bigint();
const done = [];
for (let i = 0; i < conns; i++) {
  done.push(
    new Promise((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => s.write(msg));
      s.setNoDelay(true);
      let got = 0;
      s.on('data', (d) => {
        got += d.length;
        while (got >= size) {
          got -= size;
          requests++;
          if (running) s.write(msg);
        }
        if (!running && got === 0) s.destroy();
      });
      s.on('close', resolve);
      s.on('error', (err) => {
        if (running && failure === null) failure = err;
        resolve();
      });
    }),
  );
}
setTimeout(() => {
  running = false;
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  const total = requests;
  Promise.race([Promise.all(done), new Promise((r) => setTimeout(r, 1000))]).then(() => {
    if (failure !== null || total === 0) {
      console.error(`echo-client: ${failure ? failure.message : 'no message came back'} (port ${port})`);
      process.exit(1);
    }
    console.log(JSON.stringify({ requests: total, seconds: secs }));
    process.exit(0);
  });
}, seconds * 1000);
