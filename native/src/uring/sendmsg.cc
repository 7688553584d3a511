// sendmsg(2) of one UDP datagram to the address in msg->msg_name. The msghdr, its iovec, the
// address and the payload belong to a SendBatch (send-batch.h) that stays alive until the last
// CQE of its batch; MSG_NOSIGNAL for symmetry with send.cc (UDP never raises SIGPIPE anyway).
#include "ops.h"

namespace gatio {
namespace uring {

void PrepSendMsg(io_uring_sqe* sqe, int fd, const struct msghdr* msg, uint32_t id) {
  sqe->opcode = IORING_OP_SENDMSG;
  sqe->fd = fd;
  sqe->addr = reinterpret_cast<uint64_t>(msg);
  sqe->len = 1;
  sqe->msg_flags = MSG_NOSIGNAL;
  sqe->user_data = UserData(kOpSendMsg, id);
}

}  // namespace uring
}  // namespace gatio
