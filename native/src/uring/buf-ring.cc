#include "buf-ring.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

namespace gatio {
namespace uring {

BufRing::~BufRing() { Unregister(); }

int BufRing::Register(Ring* ring, uint16_t bgid, uint8_t* base, unsigned size, unsigned count) {
  if (count == 0 || (count & (count - 1)) != 0 || count > 32768) return -EINVAL;
  // The ring of io_uring_buf descriptors must be page aligned: anonymous mmap gives that.
  map_size_ = count * sizeof(io_uring_buf);
  void* mem = mmap(nullptr, map_size_, PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
  if (mem == MAP_FAILED) return -errno;
  br_ = static_cast<io_uring_buf_ring*>(mem);
  io_uring_buf_reg reg;
  memset(&reg, 0, sizeof(reg));
  reg.ring_addr = reinterpret_cast<uint64_t>(mem);
  reg.ring_entries = count;
  reg.bgid = bgid;
  int r = ring->Register(IORING_REGISTER_PBUF_RING, &reg, 1);
  if (r < 0) {
    munmap(mem, map_size_);
    br_ = nullptr;
    return r;
  }
  ring_ = ring;
  bgid_ = bgid;
  base_ = base;
  size_ = size;
  count_ = count;
  tail_ = 0;
  for (unsigned i = 0; i < count; i++) Recycle(static_cast<uint16_t>(i));
  Commit();
  return 0;
}

void BufRing::Unregister() {
  if (br_ == nullptr) return;
  if (ring_ != nullptr && ring_->open()) {
    io_uring_buf_reg reg;
    memset(&reg, 0, sizeof(reg));
    reg.bgid = bgid_;
    ring_->Register(IORING_UNREGISTER_PBUF_RING, &reg, 1);
  }
  munmap(br_, map_size_);
  br_ = nullptr;
  ring_ = nullptr;
}

void BufRing::Recycle(uint16_t bid) {
  if (br_ == nullptr || bid >= count_) return;
  // Not br_->bufs[i]: in C++ the UAPI's __DECLARE_FLEX_ARRAY puts an empty struct (size 1 in
  // C++, 0 in C) before the array, shifting it by 8 bytes. The ring is a plain io_uring_buf[].
  io_uring_buf* buf = reinterpret_cast<io_uring_buf*>(br_) + (tail_ & (count_ - 1));
  buf->addr = reinterpret_cast<uint64_t>(base_ + static_cast<size_t>(bid) * size_);
  buf->len = size_;
  buf->bid = bid;
  tail_++;
}

void BufRing::Commit() {
  if (br_ == nullptr) return;
  // Release: the descriptors must be visible before the kernel sees the new tail.
  // The tail overlays bufs[0].resv (offset 14), which the C++ layout keeps right.
  __atomic_store_n(&br_->tail, tail_, __ATOMIC_RELEASE);
}

}  // namespace uring
}  // namespace gatio
