// UDP sends batched per loop turn. JavaScript appends datagrams to a staging buffer it owns as
// records, then hands the turn's records to Prepare() in one call; Prepare builds one msghdr,
// iovec and address per record in a SendBatch and queues one IORING_OP_SENDMSG per datagram
// (io_uring has no sendmmsg). The payload is sent from the staging buffer in place, so JS keeps
// that buffer untouched until the batch's completion event.
//
// Record layout (little endian, each record 8-byte aligned):
//
//   0       4        6      8                24                 24+len   (pad to 8)
//   | len u32 | family u16 | port u16 | address: 4 (v4) or 16 (v6) bytes | payload |
//
// Completions: every SENDMSG CQE is consumed natively (Complete); only when the last one of a
// batch arrives does JS get one event [kOpSendMsg, tag, sent, failed << 16 | first errno], so a
// turn of N datagrams costs one JS call in and one event out, not N.
#ifndef GATIO_NATIVE_URING_SEND_BATCH_H_
#define GATIO_NATIVE_URING_SEND_BATCH_H_

#include <netinet/in.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <memory>
#include <vector>

#include "ring.h"

namespace gatio {
namespace uring {

constexpr unsigned kSendRecordHeader = 24;

struct SendBatch {
  std::vector<msghdr> msgs;
  std::vector<iovec> iovs;
  // sockaddr_in6 (28 bytes) holds either family; sockaddr_storage would be 128 per datagram.
  std::vector<sockaddr_in6> addrs;
  unsigned remaining = 0;
  int sent = 0;
  int failed = 0;
  int first_errno = 0;
  uint32_t tag = 0;
};

class SendBatches {
 public:
  // Queues one SENDMSG per record in data[0, len). Returns the number queued (records that could
  // not be queued count as failed in the batch's event), or -errno when nothing was queued
  // (-EINVAL: malformed records, -EBUSY: no SQE).
  int Prepare(Ring* ring, int fd, uint32_t tag, uint8_t* data, size_t len);
  // Consumes one SENDMSG CQE. Returns true, with ev filled, when it was its batch's last.
  bool Complete(uint32_t slot, int res, int32_t* ev);
  size_t in_flight() const { return batches_.size() - free_.size(); }

 private:
  std::vector<std::unique_ptr<SendBatch>> batches_;
  std::vector<uint32_t> free_;
};

}  // namespace uring
}  // namespace gatio

#endif  // GATIO_NATIVE_URING_SEND_BATCH_H_
