#include "send-batch.h"

#include <errno.h>
#include <string.h>

#include "ops.h"

namespace gatio {
namespace uring {

namespace {

inline size_t Align8(size_t n) { return (n + 7) & ~static_cast<size_t>(7); }

// Counts the records in data[0, len); -1 when one overruns the region or names a bad family.
long CountRecords(const uint8_t* data, size_t len) {
  long count = 0;
  for (size_t off = 0; off < len;) {
    if (len - off < kSendRecordHeader) return -1;
    uint32_t n;
    uint16_t family;
    memcpy(&n, data + off, 4);
    memcpy(&family, data + off + 4, 2);
    if (family != AF_INET && family != AF_INET6) return -1;
    if (n > len - off - kSendRecordHeader) return -1;
    off += Align8(kSendRecordHeader + n);
    count++;
  }
  return count;
}

}  // namespace

int SendBatches::Prepare(Ring* ring, int fd, uint32_t tag, uint8_t* data, size_t len) {
  long count = CountRecords(data, len);
  if (count <= 0) return -EINVAL;
  uint32_t slot;
  if (!free_.empty()) {
    slot = free_.back();
    free_.pop_back();
  } else {
    slot = static_cast<uint32_t>(batches_.size());
    batches_.push_back(std::make_unique<SendBatch>());
  }
  SendBatch* b = batches_[slot].get();
  // Sized once before any SQE points into them: the vectors must not move while in flight.
  b->msgs.assign(count, msghdr{});
  b->iovs.resize(count);
  b->addrs.assign(count, sockaddr_in6{});
  b->sent = b->failed = b->first_errno = 0;
  b->tag = tag;
  unsigned queued = 0;
  size_t off = 0;
  for (long i = 0; i < count; i++) {
    uint32_t n;
    uint16_t family, port;
    memcpy(&n, data + off, 4);
    memcpy(&family, data + off + 4, 2);
    memcpy(&port, data + off + 6, 2);
    sockaddr_in6& a = b->addrs[i];
    socklen_t alen;
    if (family == AF_INET) {
      auto* v4 = reinterpret_cast<sockaddr_in*>(&a);
      v4->sin_family = AF_INET;
      v4->sin_port = htons(port);
      memcpy(&v4->sin_addr, data + off + 8, 4);
      alen = sizeof(sockaddr_in);
    } else {
      a.sin6_family = AF_INET6;
      a.sin6_port = htons(port);
      memcpy(&a.sin6_addr, data + off + 8, 16);
      alen = sizeof(sockaddr_in6);
    }
    b->iovs[i].iov_base = data + off + kSendRecordHeader;
    b->iovs[i].iov_len = n;
    msghdr& m = b->msgs[i];
    m.msg_name = &a;
    m.msg_namelen = alen;
    m.msg_iov = &b->iovs[i];
    m.msg_iovlen = 1;
    off += Align8(kSendRecordHeader + n);
    io_uring_sqe* sqe = ring->GetSqe();
    if (sqe == nullptr) {
      // The SQ stayed full even after submitting: count the rest as failed, never block.
      b->failed += static_cast<int>(count - i);
      if (b->first_errno == 0) b->first_errno = EBUSY;
      break;
    }
    PrepSendMsg(sqe, fd, &m, slot);
    queued++;
  }
  if (queued == 0) {
    free_.push_back(slot);
    return -EBUSY;
  }
  b->remaining = queued;
  return static_cast<int>(queued);
}

bool SendBatches::Complete(uint32_t slot, int res, int32_t* ev) {
  if (slot >= batches_.size()) return false;
  SendBatch* b = batches_[slot].get();
  if (b->remaining == 0) return false;
  if (res >= 0) {
    b->sent++;
  } else {
    b->failed++;
    if (b->first_errno == 0) b->first_errno = -res;
  }
  if (--b->remaining > 0) return false;
  ev[0] = kOpSendMsg;
  ev[1] = static_cast<int32_t>(b->tag);
  ev[2] = b->sent;
  // 15 bits of count keep the packed value positive; the exact count past that is moot.
  ev[3] = ((b->failed > 0x7fff ? 0x7fff : b->failed) << 16) | (b->first_errno & 0xffff);
  free_.push_back(slot);
  return true;
}

}  // namespace uring
}  // namespace gatio
