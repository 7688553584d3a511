'use strict';
// A Redis-protocol server (PING, ECHO, SET, GET, DEL, INCR, EXISTS, pipelining); works with
// redis-cli and redis-benchmark. See ../lib/serve.js for the flags.
require('../lib/serve').serve(__dirname).catch((err) => {
  console.error(err.message);
  process.exit(1);
});
