// Cancels one request by user_data (a connection's recv, a listener's accept). The target
// still posts its own final CQE (-ECANCELED, or data that raced the cancel); only that CQE
// ends its lifecycle.
#include "ops.h"

namespace gatio {
namespace uring {

void PrepCancel(io_uring_sqe* sqe, uint64_t target, uint32_t id) {
  sqe->opcode = IORING_OP_ASYNC_CANCEL;
  sqe->fd = -1;
  sqe->addr = target;
  sqe->user_data = UserData(kOpCancel, id);
}

}  // namespace uring
}  // namespace gatio
