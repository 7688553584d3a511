'use strict';
// A fixed "Hello, World!" for every request. Parses just enough HTTP/1.x: the request head up to
// CRLFCRLF, Content-Length bodies (skipped), `Connection: close|keep-alive`, pipelined requests.
const BODY = 'Hello, World!';
const head = (keepAlive) =>
  `HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${BODY.length}\r\n` +
  `Connection: ${keepAlive ? 'keep-alive' : 'close'}\r\n\r\n${BODY}`;
const KEEP = Buffer.from(head(true));
const CLOSE = Buffer.from(head(false));
const BAD = Buffer.from('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
const END = Buffer.from('\r\n\r\n');
const MAX_HEAD = 16384;

module.exports = {
  open(conn) {
    conn.data = { pending: null, skip: 0 };
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
      const headText = buf.latin1Slice(pos, end);
      const lineEnd = headText.indexOf('\r\n');
      const requestLine = lineEnd < 0 ? headText : headText.slice(0, lineEnd);
      const version = requestLine.slice(requestLine.lastIndexOf(' ') + 1);
      if (!version.startsWith('HTTP/1.')) {
        conn.end(BAD);
        return;
      }
      const lower = headText.toLowerCase();
      const conn_ = /\r\nconnection:\s*([^\r]*)/.exec(lower);
      const keepAlive = conn_ ? !conn_[1].includes('close') : version === 'HTTP/1.1';
      const cl = /\r\ncontent-length:\s*(\d+)/.exec(lower);
      pos = end + 4;
      if (cl) {
        const len = Number(cl[1]);
        const have = Math.min(len, buf.length - pos);
        pos += have;
        st.skip = len - have;
      }
      if (!keepAlive) {
        conn.end(CLOSE);
        return;
      }
      conn.write(KEEP);
      if (st.skip > 0) break;
    }
    const rest = buf.length - pos;
    if (rest > MAX_HEAD) return conn.end(BAD);
    // Keep an incomplete head: copy it, the receive buffer goes back to the ring after this call.
    st.pending = rest > 0 && st.skip === 0 ? Buffer.from(buf.subarray(pos)) : null;
  },
  close() {},
};
