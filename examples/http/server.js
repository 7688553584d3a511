'use strict';
// HTTP/1.1 hello server (keep-alive, pipelining, Content-Length bodies); enough for curl and wrk.
// See ../lib/serve.js for the flags. Silent connections close after IDLE_TIMEOUT_MS (env
// GATIO_HTTP_IDLE_TIMEOUT_MS, default 30 s); the handler
// bounds header size and header time (see handler.js).
const IDLE_TIMEOUT_MS = Number(process.env.GATIO_HTTP_IDLE_TIMEOUT_MS) || 30000;
require('../lib/serve')
  .serve(__dirname, { options: { idleTimeoutMs: IDLE_TIMEOUT_MS } })
  .catch((err) => {
    console.error(err.message);
    process.exit(1);
  });
