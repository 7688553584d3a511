// Cancels one request by user_data (a connection's recv, a listener's accept), or all of them
// (teardown). The target still posts its own final CQE (-ECANCELED, or data that raced the
// cancel); only that CQE ends its lifecycle.
#include "ops.h"

namespace gatio {
namespace uring {

void PrepCancel(io_uring_sqe* sqe, uint64_t target, uint32_t id) {
  sqe->opcode = IORING_OP_ASYNC_CANCEL;
  sqe->fd = -1;
  sqe->addr = target;
  sqe->user_data = UserData(kOpCancel, id);
}

void PrepCancelAll(io_uring_sqe* sqe, uint32_t id) {
  sqe->opcode = IORING_OP_ASYNC_CANCEL;
  sqe->fd = -1;
  // Every request of this ring, whatever its fd or user_data (Linux 5.19+). Each cancelled one
  // still posts its own final CQE; this one completes with how many were found.
  sqe->cancel_flags = IORING_ASYNC_CANCEL_ANY;
  sqe->user_data = UserData(kOpCancel, id);
}

}  // namespace uring
}  // namespace gatio
