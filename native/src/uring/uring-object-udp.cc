// The UDP methods of `Uring` (see uring-object.h): bind a SO_REUSEPORT datagram socket, arm its
// multishot recvmsg, and queue a turn's datagrams as one SendBatch. Same thread rules and the same
// boundary checks as the rest of the object.
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "../args.h"
#include "ops.h"
#include "socket.h"
#include "uring-object.h"

namespace gatio {
namespace uring {

// udpBind(host, port) -> [fd or -errno, failed syscall name, bound port]
Napi::Value UringObject::UdpBind(const Napi::CallbackInfo& info) {
  static constexpr const char* kSig = "udpBind(host, port)";
  Napi::Env env = info.Env();
  std::string host;
  uint32_t port;
  if (!ArgString(info, 0, kSig, "host", 255, &host) ||
      !ArgU32(info, 1, kSig, "port", &port, 0, 65535)) {
    return env.Undefined();
  }
  if (!ring_.open()) return Opened(env, -EBADF, "udpBind");
  const char* stage = "";
  int fd = BindUdp(host, static_cast<int>(port), &stage);
  return Opened(env, fd, stage);
}

// recvMsg(fd, id, bgid, nameLen): multishot; each buffer of group bgid receives
// [io_uring_recvmsg_out][nameLen bytes of address][payload].
Napi::Value UringObject::RecvMsg(const Napi::CallbackInfo& info) {
  static constexpr const char* kSig = "recvMsg(fd, id, bgid, nameLen)";
  Napi::Env env = info.Env();
  int fd;
  uint32_t id, bgid, name_len;
  if (!ArgFd(info, 0, kSig, &fd) || !ArgU32(info, 1, kSig, "id", &id) ||
      !ArgU32(info, 2, kSig, "bgid", &bgid, 0, UINT16_MAX) ||
      !ArgU32(info, 3, kSig, "nameLen", &name_len, 0, sizeof(sockaddr_storage))) {
    return env.Undefined();
  }
  if (!ring_.open()) return Napi::Number::New(env, -EBADF);
  if (!CheckOwned(env, kSig, fd)) return env.Undefined();
  if (Group(bgid) == nullptr) return Napi::Number::New(env, -ENOENT);
  // Both may throw (no memory): before the SQE, so nothing is half queued.
  recvmsg_group_.Set(id, static_cast<uint16_t>(bgid));
  msghdr& hdr = recvmsg_hdrs_[id];
  io_uring_sqe* sqe = Sqe();
  if (sqe == nullptr) return Napi::Number::New(env, -EBUSY);
  memset(&hdr, 0, sizeof(hdr));
  // Only the lengths matter for a buffer-select recvmsg: they reserve room in every buffer.
  hdr.msg_namelen = name_len;
  PrepRecvMsgMultishot(sqe, fd, &hdr, static_cast<uint16_t>(bgid), id);
  return Napi::Number::New(env, 0);
}

// sendMsgs(fd, tag, staging Uint8Array, start, end) -> datagrams queued or -errno (-EINVAL:
// [start, end) is not inside staging, not 8-aligned, or holds malformed records). The records in
// staging[start, end) are sent in place: JS leaves that region alone until the batch's event.
Napi::Value UringObject::SendMsgs(const Napi::CallbackInfo& info) {
  static constexpr const char* kSig = "sendMsgs(fd, tag, staging, start, end)";
  Napi::Env env = info.Env();
  int fd;
  uint32_t tag, start, end;
  uint8_t* data;
  size_t bytes;
  if (!ArgFd(info, 0, kSig, &fd) || !ArgU32(info, 1, kSig, "tag", &tag) ||
      !ArgBytes(info, 2, kSig, "staging", &data, &bytes) ||
      !ArgU32(info, 3, kSig, "start", &start) || !ArgU32(info, 4, kSig, "end", &end)) {
    return env.Undefined();
  }
  if (start > end || end > bytes || (start & 7) != 0) return Napi::Number::New(env, -EINVAL);
  if (!ring_.open()) return Napi::Number::New(env, -EBADF);
  if (!CheckOwned(env, kSig, fd)) return env.Undefined();
  int r = send_batches_.Prepare(&ring_, fd, tag, data + start, end - start);
  if (r > 0) in_flight_ += static_cast<unsigned>(r);  // one SENDMSG request per datagram
  return Napi::Number::New(env, r);
}

}  // namespace uring
}  // namespace gatio
