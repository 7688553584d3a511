'use strict';
// Runs on each serving driver, which has its own SO_REUSEPORT socket. `bytes` is a view of a
// receive buffer valid only during message(); socket.send copies it, so echoing it is safe.
module.exports = {
  message(socket, bytes, remote) {
    socket.send(bytes, remote.port, remote.address);
  },
};
