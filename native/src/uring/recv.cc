// Multishot recv from a provided buffer ring: one CQE per chunk received, each naming the buffer
// the kernel filled (IORING_CQE_F_BUFFER, id in the upper 16 flag bits). Ends without F_MORE on
// EOF (res 0), on an error, or with -ENOBUFS when the group ran dry; a cancelled recv may still
// deliver one data CQE before its final -ECANCELED, and keeps its buffers until then.
#include "ops.h"

namespace gatio {
namespace uring {

void PrepRecvMultishot(io_uring_sqe* sqe, int fd, uint16_t bgid, uint32_t id) {
  sqe->opcode = IORING_OP_RECV;
  sqe->fd = fd;
  sqe->ioprio = IORING_RECV_MULTISHOT;
  sqe->flags = IOSQE_BUFFER_SELECT;
  sqe->buf_group = bgid;
  sqe->user_data = UserData(kOpRecv, id);
}

int RecvCqeBuffer(const io_uring_cqe* cqe) {
  if ((cqe->flags & IORING_CQE_F_BUFFER) == 0) return -1;
  return static_cast<int>(cqe->flags >> IORING_CQE_BUFFER_SHIFT);
}

}  // namespace uring
}  // namespace gatio
