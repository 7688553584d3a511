// send(2) of a JS-owned buffer. JavaScript keeps the Uint8Array referenced until this request's
// CQE arrives (V8 never moves an ArrayBuffer's backing store), and resumes a partial send itself.
#include <sys/socket.h>

#include "ops.h"

namespace gatio {
namespace uring {

void PrepSend(io_uring_sqe* sqe, int fd, const void* buf, unsigned len, uint32_t id) {
  sqe->opcode = IORING_OP_SEND;
  sqe->fd = fd;
  sqe->addr = reinterpret_cast<uint64_t>(buf);
  sqe->len = len;
  // MSG_NOSIGNAL: a peer that reset must give -EPIPE, not kill the process with SIGPIPE.
  sqe->msg_flags = MSG_NOSIGNAL;
  sqe->user_data = UserData(kOpSend, id);
}

}  // namespace uring
}  // namespace gatio
