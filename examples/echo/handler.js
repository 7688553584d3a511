'use strict';
// Runs on each serving driver. `bytes` is a view of a receive buffer valid only during data();
// conn.write copies such views itself, so echoing them is safe.
//
// Backpressure: a client that sends without reading its echo would make the server queue all of
// it. Once write() returns false (highWaterMark bytes wait to be sent) the connection stops
// reading (conn.pause(): TCP then holds the client back) until drain() says they went out.
module.exports = {
  open() {},
  data(conn, bytes) {
    if (!conn.write(bytes)) conn.pause();
  },
  drain(conn) {
    conn.resume();
  },
  close() {},
};
