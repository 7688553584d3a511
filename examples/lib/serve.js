'use strict';
// Shared start-up of the examples: `node examples/<name>/server.js --port P --drivers N [--host H]`
// starts a Gatio runtime whose drivers 0..N-1 all serve the port with the example's handler
// (`transport` 'tcp' or 'udp'), then prints `listening on HOST:P (N drivers)` (`udp HOST:P` for
// UDP; with --port 0, the port the kernel picked). SIGINT/SIGTERM close it gracefully: the
// examples opt in to the runtime's signal handling (a library never installs it on its own).
const path = require('node:path');
const { Runtime } = require('@gatio/core');
const { tcp, udp } = require('@gatio/net');

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
  const factory = transport === 'udp' ? udp : tcp;
  const service = factory({ port: args.port, host: args.host, drivers: ids, handler: path.join(dir, 'handler.js'), ...options });
  const rt = await Runtime.start({
    filename: path.join(dir, 'tasks.js'),
    drivers,
    services: [service],
    // SIGINT / SIGTERM: stop accepting, finish what is in flight, exit 0.
    shutdown: { signals: true },
  });
  const { address, port } = service.address();
  console.log(`listening on ${transport === 'udp' ? 'udp ' : ''}${address}:${port} (${args.drivers} drivers)`);
  // A runtime with services keeps the process alive until it is closed.
  return rt;
}

module.exports = { serve, parseArgs };
