// Multishot recvmsg for UDP sockets: one CQE per datagram, each naming the provided buffer it
// filled. The buffer layout is fixed by the kernel (io_uring_recvmsg_out, then msg_namelen bytes
// of sockaddr, then msg_controllen bytes of control data, then the payload); JavaScript parses it
// in place (packages/net/src/udp-socket.ts), so no copy and no per-datagram native call.
//
// MSG_TRUNC in msg_flags makes the kernel report the datagram's real length in payloadlen even
// when it did not fit the buffer; the out header's flags then carry MSG_TRUNC, and the driver
// reports the truncation instead of delivering a cut datagram as if it were whole.
//
// The request ends without IORING_CQE_F_MORE on an error or -ENOBUFS (the group ran dry); the
// caller re-arms it once buffers are back, or SO_REUSEPORT would keep hashing flows to a socket
// nobody reads.
#include "ops.h"

namespace gatio {
namespace uring {

void PrepRecvMsgMultishot(io_uring_sqe* sqe, int fd, const struct msghdr* msg, uint16_t bgid,
                          uint32_t id) {
  sqe->opcode = IORING_OP_RECVMSG;
  sqe->fd = fd;
  sqe->addr = reinterpret_cast<uint64_t>(msg);
  sqe->len = 1;
  sqe->ioprio = IORING_RECV_MULTISHOT;
  sqe->flags = IOSQE_BUFFER_SELECT;
  sqe->buf_group = bgid;
  sqe->msg_flags = MSG_TRUNC;
  sqe->user_data = UserData(kOpRecvMsg, id);
}

}  // namespace uring
}  // namespace gatio
