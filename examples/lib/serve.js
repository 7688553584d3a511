'use strict';
// Shared start-up of the examples: `node examples/<name>/server.js --port P --drivers N [--host H]`
// starts a Gatio runtime whose drivers 0..N-1 all serve the port with the example's handler
// (`transport` 'tcp' or 'udp'), then prints `listening on HOST:P (N drivers)` (`udp HOST:P` for
// UDP). SIGINT/SIGTERM close it gracefully.
const path = require('node:path');
const { Runtime } = require('@gatio/core');

function parseArgs(argv) {
  const args = { port: 6380, drivers: 1, host: '127.0.0.1' };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (flag === '--port') args.port = Number(value);
    else if (flag === '--drivers') args.drivers = Number(value);
    else if (flag === '--host') args.host = value;
    else if (flag === '--cpus') args.cpus = value.split(',').map(Number);
    else continue;
    i++;
  }
  if (!Number.isInteger(args.port) || args.port < 0 || args.port > 65535) throw new Error('--port must be 0..65535');
  if (!Number.isInteger(args.drivers) || args.drivers < 1) throw new Error('--drivers must be a positive integer');
  return args;
}

async function serve(dir, { options = {}, transport = 'tcp' } = {}) {
  const args = parseArgs(process.argv.slice(2));
  const ids = Array.from({ length: args.drivers }, (_, i) => i);
  const drivers = args.cpus ? ids.map((i) => ({ cpu: args.cpus[i % args.cpus.length] })) : args.drivers;
  const rt = await Runtime.start({
    filename: path.join(dir, 'tasks.js'),
    drivers,
    ports: [{ port: args.port, host: args.host, transport, drivers: ids, handler: path.join(dir, 'handler.js'), options }],
  });
  console.log(`listening on ${transport === 'udp' ? 'udp ' : ''}${args.host}:${args.port} (${args.drivers} drivers)`);
  // The runtime does not keep the process alive by itself (drivers are unref'd); a server should.
  const keepAlive = setInterval(() => {}, 1 << 30);
  let closing = false;
  const stop = async () => {
    if (closing) return;
    closing = true;
    clearInterval(keepAlive);
    await rt.close();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  return rt;
}

module.exports = { serve, parseArgs };
