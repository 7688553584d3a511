'use strict';
// RESP handler, run on each serving driver. Commands on keys this driver owns answer at once;
// the others go to the owner through current.run and are answered, in order, when they return.
// The protocol work (parser, commands, encoding) is in protocol.js, shared with the node:net
// competitor in benchmarks/net/node-resp.js.
//
// A data() call parses everything it received, runs the commands, and sends all the replies
// that are ready with one conn.write. A reply still waiting on another driver holds the later
// ones in conn.data.queue, each copied out on its own, until it arrives.
//
// Backpressure: a client may pipeline faster than its replies can go out (it does not read them)
// or come back from other drivers. Then the connection stops reading (conn.pause()) until both are
// back under their bounds, so the server's memory per connection stays bounded and TCP holds the
// client back.
//
// Half-close: a client may send its commands and then shutdown(SHUT_WR). Like Redis, every command
// that ran gets its reply before the server closes: end(conn) returns a promise that settles once
// no reply waits on another driver, and the runtime ends the connection only after it.
const { current } = require('@gatio/core');
const { ownerOf, apply } = require('./store');
const { Parser, ProtocolError, Replies, limits, execute, DONE, QUIT, OK, encodeError } = require('./protocol');

// One of each per driver thread: a data() call uses them from start to end without yielding.
const parser = new Parser();
const out = new Replies();
// Past this many reply bytes a data() call writes what it has and goes on (a pipeline of GETs
// on big values would otherwise grow the scratch without bound).
const FLUSH_BYTES = 1 << 16;

/**
 * Sends out.buf[0, out.n) and empties the scratch. This is the only place where replies leave it.
 * conn.write copies chunks up to 64 KiB at once, so the scratch is reused right away; a larger
 * one (a reply with a big value) would be sent from place, later, so it gets a copy of its own.
 */
const WRITE_COPIES = 65536;
function emit(conn) {
  if (out.n <= WRITE_COPIES) {
    send(conn, out.buf.subarray(0, out.n));
    out.n = 0;
  } else {
    send(conn, out.take());
  }
}

// Replies waiting on other drivers past which the connection stops reading.
const MAX_WAITING = 1024;

/** conn.write, noting when the client falls behind (write returns false above highWaterMark). */
function send(conn, bytes) {
  if (!conn.write(bytes)) conn.data.full = true;
}

/** Reads stop while the client does not take its replies or too many wait on other drivers. */
function flowControl(conn) {
  const st = conn.data;
  const behind = st.full || st.waiting >= MAX_WAITING;
  if (behind && !conn.isPaused) conn.pause();
  else if (!behind && conn.isPaused) conn.resume();
}

/** keyOp for protocol.execute: the key's owner driver runs it, this one if it owns the key. */
function keyOp(conn, op, key, value) {
  const owner = ownerOf(key, current.drivers.length || 1);
  if (owner === conn.driver || !current.active) return apply(op, key, value);
  return current.run({ op, key, value }, { driver: owner, name: 'kv' });
}

const sliceCopy = Uint8Array.prototype.slice;
const errorLine = (msg) => Buffer.from(`-${msg}\r\n`);

module.exports = {
  limits,
  open(conn) {
    conn.data = { pending: null, queue: [], waiting: 0, quit: false, full: false, ended: null };
  },
  data(conn, bytes) {
    const st = conn.data;
    if (st.quit) return;
    // `bytes` is valid only during this call: the receive buffer goes back to the ring after it.
    const src = st.pending === null ? bytes : joined(st.pending, bytes);
    let used;
    try {
      used = parser.parse(src);
    } catch (e) {
      if (!(e instanceof ProtocolError)) throw e;
      conn.end(errorLine(e.message));
      return;
    }
    if (src.length - used > limits.MAX_PENDING_BYTES) return void conn.end(errorLine('ERR Protocol error: request too large'));
    // Keep an incomplete tail as a copy. Uint8Array's slice, since `bytes` is a Buffer on the
    // libuv backend, and Buffer#slice would only be a view.
    st.pending = used < src.length ? sliceCopy.call(src, used) : null;
    out.n = 0; // empty already, unless a command threw on an earlier call (that connection was closed)
    for (let c = 0; c < parser.count; c++) {
      const mark = out.n;
      const reply = execute(src, parser, c, out, keyOp, conn);
      if (reply === DONE) {
        // Behind a reply still travelling from another driver: queued, in order.
        if (st.waiting !== 0) st.queue.push({ reply: out.take(mark) });
        else if (out.n >= FLUSH_BYTES) emit(conn);
        continue;
      }
      if (reply === QUIT) {
        // After the replies still travelling: +OK, then end. Later input is ignored.
        st.quit = true;
        if (st.waiting === 0) {
          out.raw(OK);
          emit(conn);
          conn.end();
        } else {
          if (out.n > 0) emit(conn); // the replies before the one that waits
          st.queue.push({ reply: OK, quit: true });
        }
        return;
      }
      const slot = { reply: null };
      st.queue.push(slot);
      st.waiting++;
      reply.then(
        (b) => done(conn, slot, b),
        (e) => done(conn, slot, encodeError(`ERR ${e.message}`)),
      );
    }
    // Replies before any that waits: those after it were queued. Promise callbacks run only
    // after this call returns, so these bytes go out first.
    if (out.n > 0) emit(conn);
    flowControl(conn);
  },
  drain(conn) {
    conn.data.full = false;
    flowControl(conn);
  },
  /** The client sent FIN: the connection ends once the replies still travelling are written. */
  end(conn) {
    const st = conn.data;
    if (st.waiting === 0) return undefined;
    return new Promise((resolve) => (st.ended = resolve));
  },
  close() {},
};

function done(conn, slot, bytes) {
  const st = conn.data;
  slot.reply = bytes;
  st.waiting--;
  let quit = false;
  while (st.queue.length && st.queue[0].reply !== null) {
    const next = st.queue.shift();
    if (next.quit) {
      conn.end(next.reply);
      quit = true;
      break;
    }
    send(conn, next.reply);
  }
  if (st.waiting === 0 && st.ended !== null) {
    // Every reply is written: end(conn)'s promise lets the runtime end the connection.
    const ended = st.ended;
    st.ended = null;
    ended();
  } else if (!quit) {
    flowControl(conn);
  }
}

/** pending + bytes in one new array. */
function joined(pending, bytes) {
  const b = new Uint8Array(pending.length + bytes.length);
  b.set(pending);
  b.set(bytes, pending.length);
  return b;
}
