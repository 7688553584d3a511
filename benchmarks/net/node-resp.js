'use strict';
// Competitor: a node:net RESP server running the same protocol code as examples/resp (parser,
// commands and reply encoding from examples/resp/protocol.js), so the comparison measures the I/O
// path. It has one thread, so every key lives in its one local Map. `node node-resp.js PORT`
const net = require('node:net');
const { Parser, ProtocolError, Replies, limits, execute, QUIT, OK } = require('../../examples/resp/protocol');
const { apply } = require('../../examples/resp/store');

const parser = new Parser();
const out = new Replies();
const FLUSH_BYTES = 1 << 16; // as in examples/resp/handler.js

// socket.write keeps a reference to the bytes it is given, like conn.write: copy them out.
const emit = (sock) => sock.write(out.take());
const keyOp = (_ctx, op, key, value) => apply(op, key, value);
const errorLine = (msg) => Buffer.from(`-${msg}\r\n`);

net
  .createServer({ noDelay: true }, (sock) => {
    let pending = null;
    let quit = false;
    sock.on('data', (chunk) => {
      if (quit) return;
      const src = pending === null ? chunk : Buffer.concat([pending, chunk]);
      let used;
      try {
        used = parser.parse(src);
      } catch (e) {
        if (!(e instanceof ProtocolError)) throw e;
        return void sock.end(errorLine(e.message));
      }
      if (src.length - used > limits.MAX_PENDING_BYTES) return void sock.end(errorLine('ERR Protocol error: request too large'));
      // The incomplete tail as a small copy, as in handler.js (Buffer#slice would be a view
      // keeping the whole chunk).
      pending = used < src.length ? Uint8Array.prototype.slice.call(src, used) : null;
      out.n = 0;
      for (let c = 0; c < parser.count; c++) {
        // The keys are all local, so a command answers at once (DONE) or is QUIT.
        if (execute(src, parser, c, out, keyOp, null) === QUIT) {
          quit = true;
          out.raw(OK);
          emit(sock);
          return void sock.end();
        }
        if (out.n >= FLUSH_BYTES) emit(sock);
      }
      if (out.n > 0) emit(sock);
    });
    sock.on('error', () => {});
  })
  .listen(Number(process.argv[2]), '127.0.0.1', () => console.log('listening'));
