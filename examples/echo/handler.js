'use strict';
// Runs on each serving driver. `bytes` is a view of a receive buffer valid only during data();
// conn.write copies such views itself, so echoing them is safe.
module.exports = {
  open() {},
  data(conn, bytes) {
    conn.write(bytes);
  },
  close() {},
};
