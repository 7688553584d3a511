'use strict';
// HTTP/1.1 hello server (keep-alive, pipelining, Content-Length bodies); enough for curl and wrk.
// See ../lib/serve.js for the flags.
require('../lib/serve').serve(__dirname).catch((err) => {
  console.error(err.message);
  process.exit(1);
});
