// A provided buffer ring (IORING_REGISTER_PBUF_RING): `count` buffers of `size` bytes carved out
// of memory the JavaScript side owns (an ArrayBuffer it keeps alive), so a received buffer is
// visible to JS without a copy. The kernel picks a buffer per recv completion; the buffer comes
// back to the ring (Recycle + Commit) after the JS batch callback that saw it returns.
#ifndef GATIO_NATIVE_URING_BUF_RING_H_
#define GATIO_NATIVE_URING_BUF_RING_H_

#include <linux/io_uring.h>
#include <stdint.h>

#include "ring.h"

namespace gatio {
namespace uring {

class BufRing {
 public:
  BufRing() = default;
  ~BufRing();
  BufRing(const BufRing&) = delete;
  BufRing& operator=(const BufRing&) = delete;

  // count: power of two <= 32768. Fills the ring with every buffer. Returns 0 or -errno.
  int Register(Ring* ring, uint16_t bgid, uint8_t* base, unsigned size, unsigned count);
  void Unregister();
  // Queues buffer bid for reuse; Commit publishes all queued buffers to the kernel at once.
  void Recycle(uint16_t bid);
  void Commit();
  uint16_t bgid() const { return bgid_; }
  bool registered() const { return ring_ != nullptr; }

 private:
  Ring* ring_ = nullptr;
  io_uring_buf_ring* br_ = nullptr;
  size_t map_size_ = 0;
  uint8_t* base_ = nullptr;
  unsigned size_ = 0;
  unsigned count_ = 0;
  uint16_t bgid_ = 0;
  uint16_t tail_ = 0;  // local tail; published by Commit
};

}  // namespace uring
}  // namespace gatio

#endif  // GATIO_NATIVE_URING_BUF_RING_H_
