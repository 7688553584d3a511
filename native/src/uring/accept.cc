// Multishot accept: armed once per listener; the kernel posts one CQE per accepted connection.
// A CQE without IORING_CQE_F_MORE means it ended (error, or the listener was cancelled) and JS
// re-arms it: otherwise SO_REUSEPORT would keep routing connections to a listener nobody accepts
// on.
#include <sys/socket.h>

#include "ops.h"

namespace gatio {
namespace uring {

void PrepAcceptMultishot(io_uring_sqe* sqe, int listen_fd, uint32_t id) {
  sqe->opcode = IORING_OP_ACCEPT;
  sqe->fd = listen_fd;
  sqe->ioprio = IORING_ACCEPT_MULTISHOT;
  // SOCK_CLOEXEC so a child process never inherits client sockets.
  sqe->accept_flags = SOCK_CLOEXEC;
  sqe->user_data = UserData(kOpAccept, id);
}

}  // namespace uring
}  // namespace gatio
