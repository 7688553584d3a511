'use strict';
// Competitor: a node:net RESP server (PING, SET, GET, CONFIG) with the same parser shape as
// examples/resp, so the comparison measures the I/O path. `node node-resp.js PORT`
const net = require('node:net');
const store = new Map();
const PONG = Buffer.from('+PONG\r\n');
const OK = Buffer.from('+OK\r\n');
const NIL = Buffer.from('$-1\r\n');
const CRLF = Buffer.from('\r\n');
const bulk = (b) => Buffer.concat([Buffer.from(`$${b.length}\r\n`), b, CRLF]);

function handle(args) {
  const name = args[0].toString('latin1').toLowerCase();
  if (name === 'ping') return PONG;
  if (name === 'set') return store.set(args[1].toString('latin1'), Buffer.from(args[2])), OK;
  if (name === 'get') {
    const v = store.get(args[1].toString('latin1'));
    return v === undefined ? NIL : bulk(v);
  }
  if (name === 'config') return Buffer.concat([Buffer.from('*2\r\n'), bulk(args[2] ?? Buffer.alloc(0)), Buffer.from('$0\r\n\r\n')]);
  return Buffer.from(`-ERR unknown command '${name}'\r\n`);
}

net
  .createServer({ noDelay: true }, (sock) => {
    let pending = null;
    sock.on('data', (chunk) => {
      const buf = pending ? Buffer.concat([pending, chunk]) : chunk;
      let pos = 0;
      const out = [];
      for (;;) {
        if (pos >= buf.length || buf[pos] !== 42) break;
        const start = pos;
        let e = buf.indexOf(CRLF, pos);
        if (e < 0) break;
        const n = Number(buf.latin1Slice(pos + 1, e));
        pos = e + 2;
        const args = [];
        for (let i = 0; i < n; i++) {
          e = buf.indexOf(CRLF, pos);
          if (e < 0) break;
          const len = Number(buf.latin1Slice(pos + 1, e));
          if (e + 4 + len > buf.length) break;
          args.push(buf.subarray(e + 2, e + 2 + len));
          pos = e + 4 + len;
        }
        if (args.length < n) {
          pos = start;
          break;
        }
        out.push(handle(args));
      }
      pending = pos < buf.length ? Buffer.from(buf.subarray(pos)) : null;
      if (out.length) sock.write(out.length === 1 ? out[0] : Buffer.concat(out));
    });
    sock.on('error', () => {});
  })
  .listen(Number(process.argv[2]), '127.0.0.1', () => console.log('listening'));
