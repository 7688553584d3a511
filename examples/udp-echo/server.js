'use strict';
// UDP echo server: every datagram goes back to its sender. See ../lib/serve.js for the flags.
require('../lib/serve').serve(__dirname, { transport: 'udp' }).catch((err) => {
  console.error(err.message);
  process.exit(1);
});
