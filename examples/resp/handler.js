'use strict';
// RESP handler, run on each serving driver. Commands on keys this driver owns answer at once;
// the others go to the owner through current.run and are answered, in order, when they return.
const { current } = require('@gatio/core');
const { ownerOf, apply } = require('./store');

const PONG = Buffer.from('+PONG\r\n');
const OK = Buffer.from('+OK\r\n');
const NIL = Buffer.from('$-1\r\n');
const EMPTY = Buffer.from('*0\r\n');
const CRLF = Buffer.from('\r\n');

function bulk(buf) {
  return Buffer.concat([Buffer.from(`$${buf.length}\r\n`), buf, CRLF]);
}
function encode(v) {
  if (v === null || v === undefined) return NIL;
  if (v === 'OK') return OK;
  if (typeof v === 'number') return Buffer.from(`:${v}\r\n`);
  if (typeof v === 'string') return Buffer.from(v.startsWith('-') ? `${v}\r\n` : `+${v}\r\n`);
  return bulk(Buffer.isBuffer(v) ? v : Buffer.from(v));
}
const err = (msg) => Buffer.from(`-${msg}\r\n`);
const QUIT = Symbol('quit');

// Limits against hostile clients (Redis' own protocol errors, then the connection closes):
const MAX_BULK_BYTES = 1 << 20; // one argument ("invalid bulk length" beyond it)
const MAX_ARGS = 1 << 16; // arguments per command ("invalid multibulk length")
const MAX_INLINE_BYTES = 1 << 16; // an inline command or a '*'/'$' header line without CRLF
const MAX_PENDING_BYTES = MAX_BULK_BYTES + MAX_INLINE_BYTES * 2; // an incomplete command kept between reads

class ProtocolError extends Error {}
const protocolError = (what) => {
  throw new ProtocolError(`ERR Protocol error: ${what}`);
};

// "*<n>" / "$<n>" header value: a decimal integer (may be negative), else a protocol error.
function header(buf, from, eol, what) {
  const text = buf.latin1Slice(from, eol);
  if (!/^-?\d{1,10}$/.test(text)) protocolError(what);
  return Number(text);
}

// Parses as many complete commands as `buf` holds: returns [commands, bytes consumed]. Throws
// ProtocolError on malformed or oversized input.
function parse(buf) {
  const cmds = [];
  let pos = 0;
  while (pos < buf.length) {
    const start = pos;
    if (buf[pos] !== 42 /* '*' */) {
      // Inline command (telnet style): words up to CRLF.
      const eol = buf.indexOf(CRLF, pos);
      if (eol < 0) {
        if (buf.length - pos > MAX_INLINE_BYTES) protocolError('too big inline request');
        break;
      }
      if (eol - pos > MAX_INLINE_BYTES) protocolError('too big inline request');
      const words = buf.latin1Slice(pos, eol).trim().split(/\s+/).filter(Boolean);
      pos = eol + 2;
      if (words.length) cmds.push(words.map((w) => Buffer.from(w, 'latin1')));
      continue;
    }
    const eol = buf.indexOf(CRLF, pos);
    if (eol < 0) {
      if (buf.length - pos > MAX_INLINE_BYTES) protocolError('too big multibulk header');
      break;
    }
    const n = header(buf, pos + 1, eol, 'invalid multibulk length');
    if (n > MAX_ARGS) protocolError('invalid multibulk length');
    pos = eol + 2;
    const args = [];
    let complete = true;
    for (let i = 0; i < n; i++) {
      if (pos >= buf.length) {
        complete = false;
        break;
      }
      if (buf[pos] !== 36 /* '$' */) protocolError(`expected '$', got '${String.fromCharCode(buf[pos])}'`);
      const e = buf.indexOf(CRLF, pos);
      if (e < 0) {
        if (buf.length - pos > MAX_INLINE_BYTES) protocolError('invalid bulk length');
        complete = false;
        break;
      }
      const len = header(buf, pos + 1, e, 'invalid bulk length');
      if (len < 0 || len > MAX_BULK_BYTES) protocolError('invalid bulk length');
      if (e + 2 + len + 2 > buf.length) {
        complete = false;
        break;
      }
      if (buf[e + 2 + len] !== 13 || buf[e + 2 + len + 1] !== 10) protocolError('bulk not terminated by CRLF');
      args.push(buf.subarray(e + 2, e + 2 + len));
      pos = e + 2 + len + 2;
    }
    if (!complete) {
      pos = start;
      break;
    }
    if (args.length > 0) cmds.push(args); // '*0' and '*-1' are empty: nothing to run
  }
  return [cmds, pos];
}

// One command: a reply Buffer, or a Promise of one when a key lives on another driver.
function execute(conn, args) {
  const name = args[0].latin1Slice(0, args[0].length).toLowerCase();
  const drivers = current.drivers.length || 1;
  const keyOp = (op, key, value) => {
    const k = key.latin1Slice(0, key.length);
    const owner = ownerOf(k, drivers);
    if (owner === conn.driver || !current.active) return encode(apply(op, k, value && Buffer.from(value)));
    return current.run({ op, key: k, value: value && new Uint8Array(value) }, { driver: owner, name: 'kv' }).then(encode);
  };
  const sumOver = (op, keys) => {
    const parts = keys.map((k) => keyOp(op, k));
    const n = (b) => Number(b.latin1Slice(1, b.length - 2));
    if (parts.every((p) => Buffer.isBuffer(p))) return Buffer.from(`:${parts.reduce((a, b) => a + n(b), 0)}\r\n`);
    return Promise.all(parts).then((bs) => Buffer.from(`:${bs.reduce((a, b) => a + n(b), 0)}\r\n`));
  };
  const arity = (min) => (args.length < min ? err(`ERR wrong number of arguments for '${name}' command`) : null);
  switch (name) {
    case 'ping':
      return args.length > 1 ? bulk(args[1]) : PONG;
    case 'echo':
      return arity(2) ?? bulk(args[1]);
    case 'get':
      return arity(2) ?? keyOp('get', args[1]);
    case 'set':
      return arity(3) ?? keyOp('set', args[1], args[2]);
    case 'incr':
      return arity(2) ?? keyOp('incr', args[1]);
    case 'del':
      return arity(2) ?? sumOver('del', args.slice(1));
    case 'exists':
      return arity(2) ?? sumOver('exists', args.slice(1));
    case 'config':
      // redis-benchmark asks CONFIG GET save / appendonly at start: answer "name" -> "".
      if (args.length === 3 && args[1].latin1Slice(0, args[1].length).toLowerCase() === 'get') {
        return Buffer.concat([Buffer.from('*2\r\n'), bulk(args[2]), Buffer.from('$0\r\n\r\n')]);
      }
      return EMPTY;
    case 'command':
      return EMPTY; // redis-cli probes COMMAND DOCS at start
    case 'quit':
      return QUIT; // answered +OK in order, then the connection ends
    default: {
      const rest = args.slice(1).map((a) => `'${a.latin1Slice(0, Math.min(a.length, 64))}'`).join(' ');
      return err(`ERR unknown command '${name}', with args beginning with: ${rest}`);
    }
  }
}

module.exports = {
  limits: { MAX_BULK_BYTES, MAX_ARGS, MAX_INLINE_BYTES, MAX_PENDING_BYTES },
  open(conn) {
    conn.data = { pending: null, queue: [], waiting: 0, quit: false };
  },
  data(conn, bytes) {
    const st = conn.data;
    if (st.quit) return;
    const input = st.pending === null ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length) : Buffer.concat([st.pending, bytes]);
    let cmds;
    let used;
    try {
      [cmds, used] = parse(input);
    } catch (e) {
      if (!(e instanceof ProtocolError)) throw e;
      conn.end(err(e.message));
      return;
    }
    if (input.length - used > MAX_PENDING_BYTES) return void conn.end(err('ERR Protocol error: request too large'));
    // Keep an incomplete tail: copy it, the receive buffer goes back to the ring after this call.
    st.pending = used < input.length ? Buffer.from(input.subarray(used)) : null;
    for (const args of cmds) {
      const reply = execute(conn, args);
      if (reply === QUIT) {
        // After the replies still travelling: +OK, then end. Later input is ignored.
        st.quit = true;
        if (st.waiting === 0) conn.end(OK);
        else st.queue.push({ reply: OK, quit: true });
        return;
      }
      if (st.waiting === 0 && Buffer.isBuffer(reply)) {
        conn.write(reply);
        continue;
      }
      // Keep pipelined replies in order behind one still travelling to another driver.
      const slot = { reply: Buffer.isBuffer(reply) ? reply : null };
      st.queue.push(slot);
      if (!Buffer.isBuffer(reply)) {
        st.waiting++;
        reply.then(
          (b) => done(conn, slot, b),
          (e) => done(conn, slot, err(`ERR ${e.message}`)),
        );
      }
    }
  },
  close() {},
};

function done(conn, slot, buf) {
  const st = conn.data;
  slot.reply = buf;
  st.waiting--;
  while (st.queue.length && st.queue[0].reply !== null) {
    const next = st.queue.shift();
    if (next.quit) return void conn.end(next.reply);
    conn.write(next.reply);
  }
}
