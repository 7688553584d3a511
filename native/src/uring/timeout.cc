// A multishot timeout: one CQE every `ms` until removed. One per driver drives idle-connection
// expiry, so there is no busy loop and no timer per connection.
#include "ops.h"

namespace gatio {
namespace uring {

void PrepTimeoutMultishot(io_uring_sqe* sqe, __kernel_timespec* ts, unsigned ms, uint32_t id) {
  ts->tv_sec = ms / 1000;
  ts->tv_nsec = static_cast<long long>(ms % 1000) * 1000000;
  sqe->opcode = IORING_OP_TIMEOUT;
  sqe->fd = -1;
  sqe->addr = reinterpret_cast<uint64_t>(ts);
  sqe->len = 1;
  sqe->off = 0;  // count 0 with MULTISHOT: repeat forever
  sqe->timeout_flags = IORING_TIMEOUT_MULTISHOT;
  sqe->user_data = UserData(kOpTimeout, id);
}

void PrepTimeoutRemove(io_uring_sqe* sqe, uint32_t timeout_id, uint32_t id) {
  sqe->opcode = IORING_OP_TIMEOUT_REMOVE;
  sqe->fd = -1;
  sqe->addr = UserData(kOpTimeout, timeout_id);
  sqe->user_data = UserData(kOpCancel, id);
}

}  // namespace uring
}  // namespace gatio
