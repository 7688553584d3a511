'use strict';
// A fixed "Hello, World!" for every request. Parses just enough HTTP/1.x: the request head up to
// CRLFCRLF, Content-Length bodies (skipped), `Connection: close|keep-alive`, pipelined requests.
//
// Limits against hostile clients (answer, then close the connection):
// - a request head over MAX_HEAD_BYTES -> 431 Request Header Fields Too Large
// - a head still incomplete HEADER_TIMEOUT_MS after its first byte -> 408 Request Timeout
//   (checked when bytes arrive, so a slowloris client trickling a header is cut off; a client
//   that goes silent is closed by the port's idleTimeoutMs, see server.js)
// - a request line that is not HTTP/1.x, or a bad Content-Length -> 400 Bad Request
//
// The parser works on bytes: one pass over each head finds its line ends and the two headers it
// needs. It allocates nothing per request, reads the received view by index only (so a Uint8Array
// and a Buffer view both work), and copies bytes only to keep an incomplete head across reads.
// What it accepts, byte for byte (as the earlier string-and-regex version did):
// - the head is everything before the first CRLFCRLF; the request line ends at its first CRLF,
//   and the version is what follows the line's last space: it must start with `HTTP/1.`, and
//   only exactly `HTTP/1.1` keeps the connection alive by default;
// - a header counts only at a line start (after a CRLF), the first of each name wins, names are
//   ASCII case-insensitive and the value runs to the next CR;
// - `Connection` closes when its value contains `close` (any case), anything else keeps alive;
// - `Content-Length` is 1 to 10 ASCII digits once surrounding whitespace (what
//   String.prototype.trim removes: TAB, LF, VT, FF, CR, SP, NBSP) is dropped, at most MAX_BODY_BYTES.
const MAX_HEAD_BYTES = 16384;
const HEADER_TIMEOUT_MS = Number(process.env.GATIO_HTTP_HEADER_TIMEOUT_MS) || 10000;
const MAX_BODY_BYTES = 1 << 30; // bodies are skipped, never stored; this only bounds Content-Length

const BODY = 'Hello, World!';
const head = (keepAlive) =>
  `HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${BODY.length}\r\n` +
  `Connection: ${keepAlive ? 'keep-alive' : 'close'}\r\n\r\n${BODY}`;
const KEEP = Buffer.from(head(true));
const CLOSE = Buffer.from(head(false));
const status = (line) => Buffer.from(`HTTP/1.1 ${line}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
const BAD = status('400 Bad Request');
const TOO_LARGE = status('431 Request Header Fields Too Large');
const TIMEOUT = status('408 Request Timeout');

// Keep-alive answers to the requests of one read go out as one write: KEEPS[n] is KEEP n times.
// Constant buffers, never modified, so conn.write may send them from place. (One write per read
// instead of one per request spares the connection from concatenating its queue when a client
// pipelines.)
const KEEPS_MAX = 16;
const KEEPS = [Buffer.alloc(0)];
for (let n = 1; n <= KEEPS_MAX; n++) KEEPS.push(Buffer.concat(Array(n).fill(KEEP)));

const CR = 0x0d;
const LF = 0x0a;
const SP = 0x20;
const LOWER = 0x20; // OR-ed into an ASCII letter, lower-cases it; compare other bytes exactly
const CONNECTION = Buffer.from('connection:');
const CONTENT_LENGTH = Buffer.from('content-length:');
const HTTP1 = Buffer.from('HTTP/1.');

/** Whether the bytes at `at` are `name` (lower case letters, `-` and `:`), ASCII case-insensitively. */
function isName(buf, at, name) {
  if (at + name.length > buf.length) return false;
  for (let k = 0; k < name.length; k++) {
    const c = name[k];
    const b = buf[at + k];
    if (b !== c && (c < 0x61 || (b | LOWER) !== c)) return false;
  }
  return true;
}

/** Whether the bytes from `at` to the next CR contain `close`, ASCII case-insensitively. */
function hasClose(buf, at) {
  // A CR always follows (the head ends with CRLFCRLF), and CR | LOWER is no letter, so the
  // comparisons stop at it.
  for (let j = at; buf[j] !== CR; j++) {
    if (
      (buf[j] | LOWER) === 0x63 && // c
      (buf[j + 1] | LOWER) === 0x6c && // l
      (buf[j + 2] | LOWER) === 0x6f && // o
      (buf[j + 3] | LOWER) === 0x73 && // s
      (buf[j + 4] | LOWER) === 0x65 // e
    ) {
      return true;
    }
  }
  return false;
}

/** The bytes String.prototype.trim removes, among latin1 characters. */
const isSpace = (b) => b === SP || (b >= 0x09 && b <= 0x0d) || b === 0xa0;

/** The Content-Length whose value starts at `at` (and runs to the next CR), or -1 if invalid. */
function contentLength(buf, at) {
  let a = at;
  let z = at;
  while (buf[z] !== CR) z++;
  while (a < z && isSpace(buf[a])) a++;
  while (z > a && isSpace(buf[z - 1])) z--;
  if (z - a < 1 || z - a > 10) return -1;
  let n = 0;
  for (let j = a; j < z; j++) {
    const d = buf[j] - 0x30;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

/**
 * Queues the keep-alive answers to `n` requests. Once write() returns false (a client pipelining
 * without reading its answers), the connection stops reading until drain(), so what waits for
 * sending stays near highWaterMark instead of growing with every request the client sends.
 */
function answer(conn, n) {
  let more = true;
  for (; n > KEEPS_MAX; n -= KEEPS_MAX) more = conn.write(KEEPS[KEEPS_MAX]) && more;
  if (n > 0) more = conn.write(KEEPS[n]) && more;
  if (!more) conn.pause();
}

/** Answers the `n` requests before this one, then `last`, and closes. */
function finish(conn, n, last) {
  answer(conn, n);
  conn.end(last);
}

module.exports = {
  limits: { MAX_HEAD_BYTES, HEADER_TIMEOUT_MS, MAX_BODY_BYTES },
  open(conn) {
    conn.data = { pending: null, skip: 0, headSince: 0 };
  },
  data(conn, bytes) {
    const st = conn.data;
    let buf = bytes;
    let pos = 0;
    if (st.skip > 0) {
      // Still inside a request body.
      pos = Math.min(st.skip, buf.length);
      st.skip -= pos;
    }
    if (st.pending !== null) {
      // The start of a head came in an earlier read (never while skipping a body).
      const p = st.pending;
      buf = new Uint8Array(p.length + bytes.length - pos);
      buf.set(p, 0);
      buf.set(bytes.subarray(pos), p.length);
      pos = 0;
    }
    const len = buf.length;
    let n = 0; // keep-alive answers owed
    for (;;) {
      // One pass over the head: every CRLF ends a line; the first ends the request line, one
      // followed by another CRLF ends the head. A head that has not ended by pos + MAX_HEAD_BYTES
      // gets 431 whether or not its end is in this read (`rest` below is over the limit then), so
      // the scan stops there.
      const lim = Math.min(len - 3, pos + MAX_HEAD_BYTES + 1);
      let end = -1;
      let lineEnd = -1;
      let connValue = -1;
      let lengthValue = -1;
      for (let i = pos; i < lim; i++) {
        if (buf[i] !== CR || buf[i + 1] !== LF) continue;
        if (lineEnd < 0) lineEnd = i;
        const at = i + 2;
        if (buf[at] === CR && buf[at + 1] === LF) {
          end = i;
          break;
        }
        if ((buf[at] | LOWER) === 0x63) {
          if (connValue < 0 && isName(buf, at, CONNECTION)) connValue = at + CONNECTION.length;
          else if (lengthValue < 0 && isName(buf, at, CONTENT_LENGTH)) lengthValue = at + CONTENT_LENGTH.length;
        }
        i++; // past the LF
      }
      if (end < 0) break;
      // The version: after the request line's last space (or the whole line if it has none).
      let v = lineEnd;
      while (v > pos && buf[v - 1] !== SP) v--;
      if (lineEnd - v < HTTP1.length || !isName(buf, v, HTTP1)) return finish(conn, n, BAD);
      let keepAlive = lineEnd - v === HTTP1.length + 1 && buf[lineEnd - 1] === 0x31; // HTTP/1.1
      if (connValue >= 0) keepAlive = !hasClose(buf, connValue);
      pos = end + 4;
      st.headSince = 0;
      if (lengthValue >= 0) {
        const body = contentLength(buf, lengthValue);
        if (body < 0 || body > MAX_BODY_BYTES) return finish(conn, n, BAD);
        const have = Math.min(body, len - pos);
        pos += have;
        st.skip = body - have;
      }
      if (!keepAlive) return finish(conn, n, CLOSE);
      n++;
      if (st.skip > 0) break;
    }
    answer(conn, n);
    const rest = len - pos;
    if (rest > MAX_HEAD_BYTES) return conn.end(TOO_LARGE);
    if (rest > 0 && st.skip === 0) {
      const now = Date.now();
      if (st.headSince === 0) st.headSince = now;
      else if (now - st.headSince > HEADER_TIMEOUT_MS) return conn.end(TIMEOUT);
      // Keep an incomplete head: copy it, the receive buffer goes back to the ring after this call.
      // (TypedArray slice copies; Buffer.prototype.slice would not.)
      st.pending = Uint8Array.prototype.slice.call(buf, pos);
    } else {
      st.pending = null;
    }
  },
  drain(conn) {
    conn.resume(); // the answers went out: read the next requests
  },
  close() {},
};
