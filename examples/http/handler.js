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
const END = Buffer.from('\r\n\r\n');

module.exports = {
  limits: { MAX_HEAD_BYTES, HEADER_TIMEOUT_MS, MAX_BODY_BYTES },
  open(conn) {
    conn.data = { pending: null, skip: 0, headSince: 0 };
  },
  data(conn, bytes) {
    const st = conn.data;
    let buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
    if (st.skip > 0) {
      // Still inside a request body.
      const n = Math.min(st.skip, buf.length);
      st.skip -= n;
      buf = buf.subarray(n);
    }
    if (st.pending !== null) buf = Buffer.concat([st.pending, buf]);
    let pos = 0;
    for (;;) {
      const end = buf.indexOf(END, pos);
      if (end < 0) break;
      if (end - pos > MAX_HEAD_BYTES) return conn.end(TOO_LARGE);
      const headText = buf.latin1Slice(pos, end);
      const lineEnd = headText.indexOf('\r\n');
      const requestLine = lineEnd < 0 ? headText : headText.slice(0, lineEnd);
      const version = requestLine.slice(requestLine.lastIndexOf(' ') + 1);
      if (!version.startsWith('HTTP/1.')) return conn.end(BAD);
      const lower = headText.toLowerCase();
      const conn_ = /\r\nconnection:[ \t]*([^\r]*)/.exec(lower);
      const keepAlive = conn_ ? !conn_[1].includes('close') : version === 'HTTP/1.1';
      const cl = /\r\ncontent-length:[ \t]*([^\r]*)/.exec(lower);
      pos = end + 4;
      st.headSince = 0;
      if (cl) {
        const len = /^\d{1,10}$/.test(cl[1].trim()) ? Number(cl[1].trim()) : -1;
        if (len < 0 || len > MAX_BODY_BYTES) return conn.end(BAD);
        const have = Math.min(len, buf.length - pos);
        pos += have;
        st.skip = len - have;
      }
      if (!keepAlive) return conn.end(CLOSE);
      conn.write(KEEP);
      if (st.skip > 0) break;
    }
    const rest = buf.length - pos;
    if (rest > MAX_HEAD_BYTES) return conn.end(TOO_LARGE);
    if (rest > 0 && st.skip === 0) {
      const now = Date.now();
      if (st.headSince === 0) st.headSince = now;
      else if (now - st.headSince > HEADER_TIMEOUT_MS) return conn.end(TIMEOUT);
      // Keep an incomplete head: copy it, the receive buffer goes back to the ring after this call.
      st.pending = Buffer.from(buf.subarray(pos));
    } else {
      st.pending = null;
    }
  },
  close() {},
};
