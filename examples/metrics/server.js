'use strict';
// The echo example plus its metrics: `node examples/metrics/server.js --port P --drivers N
// [--metrics-port M]` serves echo on P (io_uring drivers) and `GET /metrics` (Prometheus text from
// `await rt.metrics()`) on 127.0.0.1:M (default P + 1) with node:http on the main thread.
const http = require('node:http');
const path = require('node:path');
const { serve } = require('../lib/serve');

async function main() {
  const rt = await serve(path.join(__dirname, '..', 'echo'));
  const i = process.argv.indexOf('--metrics-port');
  const port = i > 0 ? Number(process.argv[i + 1]) : Number(process.argv[process.argv.indexOf('--port') + 1] ?? 6380) + 1;
  const server = http.createServer(async (req, res) => {
    if (req.method !== 'GET' || req.url !== '/metrics') {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('GET /metrics\n');
      return;
    }
    try {
      const text = await rt.metrics();
      res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' }).end(text);
    } catch (err) {
      res.writeHead(500, { 'Content-Type': 'text/plain' }).end(`${err.message}\n`);
    }
  });
  server.listen(port, '127.0.0.1', () => console.log(`metrics on http://127.0.0.1:${port}/metrics`));
  process.once('SIGTERM', () => server.close());
  process.once('SIGINT', () => server.close());
}

main().catch((err) => {
  console.error(err.message);
  process.exit(1);
});
