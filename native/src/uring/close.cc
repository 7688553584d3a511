// close(2) through the ring, ordered after the connection's other requests by JavaScript: a
// socket with an armed multishot recv stays open in the kernel, so the recv is cancelled (and
// drained to its last CQE) or the socket shut down first, or the peer never sees a FIN.
#include "ops.h"

namespace gatio {
namespace uring {

void PrepClose(io_uring_sqe* sqe, int fd, uint32_t id) {
  sqe->opcode = IORING_OP_CLOSE;
  sqe->fd = fd;
  sqe->user_data = UserData(kOpClose, id);
}

}  // namespace uring
}  // namespace gatio
