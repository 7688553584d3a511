// shutdown(2): SHUT_WR sends the FIN of conn.end() right away, before the recv is drained.
#include "ops.h"

namespace gatio {
namespace uring {

void PrepShutdown(io_uring_sqe* sqe, int fd, int how, uint32_t id) {
  sqe->opcode = IORING_OP_SHUTDOWN;
  sqe->fd = fd;
  sqe->len = static_cast<unsigned>(how);
  sqe->user_data = UserData(kOpShutdown, id);
}

}  // namespace uring
}  // namespace gatio
