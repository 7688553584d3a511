'use strict';
// StatsD aggregator over UDP: `node examples/statsd/server.js --port 8125 --drivers 2
// [--interval 10000]`. Every driver aggregates what its SO_REUSEPORT socket receives; driver 0
// merges the partials and prints one JSON line per flush interval. Try:
//   echo -n "hits:1|c" | nc -u -w0 127.0.0.1 8125
const i = process.argv.indexOf('--interval');
// Drivers inherit the environment at start: the interval reaches every handler copy this way.
if (i > 0) process.env.GATIO_STATSD_INTERVAL_MS = String(Number(process.argv[i + 1]));
require('../lib/serve').serve(__dirname, { transport: 'udp', options: { bufferSize: 8192, bufferCount: 256 } }).catch((err) => {
  console.error(err.message);
  process.exit(1);
});
