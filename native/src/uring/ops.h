// One function per io_uring operation (accept.cc, recv.cc, send.cc, close.cc, cancel.cc,
// timeout.cc, shutdown.cc), each filling its SQE; CQE handling that needs native work
// (buffer bookkeeping, fd tracking) lives in the same files.
//
// user_data = (id << 8) | op. `id` is chosen by JavaScript (a connection's slot and generation, a
// listener or UDP socket index); the batch handed to JS carries [op, id, res, flags] per
// completion.
#ifndef GATIO_NATIVE_URING_OPS_H_
#define GATIO_NATIVE_URING_OPS_H_

#include <linux/io_uring.h>
#include <stdint.h>
#include <sys/socket.h>

namespace gatio {
namespace uring {

enum Op : uint8_t {
  kOpAccept = 1,
  kOpRecv = 2,
  kOpSend = 3,
  kOpClose = 4,
  kOpCancel = 5,
  kOpTimeout = 6,
  kOpShutdown = 7,
  kOpRecvMsg = 8,
  kOpSendMsg = 9,
};

// A connection's id is (generation << 20) | slot (packages/net/src/driver-net.ts): each reuse of
// a slot gets a new generation, so a late completion never settles the slot's next connection.
// Tables kept per request here (id-table.h) key by the whole id for the same reason: a late
// completion of an earlier generation must not read the group or length of the slot's next
// connection (which may belong to another port's buffer group).

inline uint64_t UserData(uint8_t op, uint32_t id) { return (static_cast<uint64_t>(id) << 8) | op; }
inline uint8_t UserDataOp(uint64_t ud) { return static_cast<uint8_t>(ud & 0xff); }
inline uint32_t UserDataId(uint64_t ud) { return static_cast<uint32_t>(ud >> 8); }

// Newer than Debian's 6.1 UAPI header; stable kernel ABI values.
#ifndef IORING_TIMEOUT_MULTISHOT
#define IORING_TIMEOUT_MULTISHOT (1U << 6)
#endif

// Multishot accept on a listening socket: one CQE per connection (res = new fd) with
// IORING_CQE_F_MORE while it stays armed.
void PrepAcceptMultishot(io_uring_sqe* sqe, int listen_fd, uint32_t id);
// Multishot recv selecting buffers from group bgid; ends (no F_MORE) on EOF, error or -ENOBUFS.
void PrepRecvMultishot(io_uring_sqe* sqe, int fd, uint16_t bgid, uint32_t id);
// The buffer id a recv CQE consumed, or -1 when it carries none.
int RecvCqeBuffer(const io_uring_cqe* cqe);
void PrepSend(io_uring_sqe* sqe, int fd, const void* buf, unsigned len, uint32_t id);
void PrepClose(io_uring_sqe* sqe, int fd, uint32_t id);
// Cancels the request whose user_data is target (e.g. a connection's armed recv).
void PrepCancel(io_uring_sqe* sqe, uint64_t target, uint32_t id);
// Cancels every request in flight on the ring (IORING_ASYNC_CANCEL_ANY): teardown.
void PrepCancelAll(io_uring_sqe* sqe, uint32_t id);
// Multishot timeout firing every `ms` (a driver's idle tick); `ts` must outlive the request.
void PrepTimeoutMultishot(io_uring_sqe* sqe, __kernel_timespec* ts, unsigned ms, uint32_t id);
void PrepTimeoutRemove(io_uring_sqe* sqe, uint32_t timeout_id, uint32_t id);
void PrepShutdown(io_uring_sqe* sqe, int fd, int how, uint32_t id);
// Multishot recvmsg (UDP) selecting buffers from group bgid. `msg` gives only the name and control
// lengths to reserve in each buffer; the kernel copies it at submission. Each buffer then holds an
// io_uring_recvmsg_out header, the sender's address, and the payload (see recvmsg-multishot.cc).
void PrepRecvMsgMultishot(io_uring_sqe* sqe, int fd, const struct msghdr* msg, uint16_t bgid,
                          uint32_t id);
// sendmsg(2) of one datagram; `msg` and what it points to must outlive the request (send-batch.h).
void PrepSendMsg(io_uring_sqe* sqe, int fd, const struct msghdr* msg, uint32_t id);

}  // namespace uring
}  // namespace gatio

#endif  // GATIO_NATIVE_URING_OPS_H_
