// The UDP methods of `Uring` (see uring-object.h): bind a SO_REUSEPORT datagram socket, arm its
// multishot recvmsg, and queue a turn's datagrams as one SendBatch. Same thread rules as the rest
// of the object: only the ring's creating thread may call them.
#include <errno.h>
#include <string.h>

#include "ops.h"
#include "socket.h"
#include "uring-object.h"

namespace gatio {
namespace uring {

// udpBind(host, port) -> [fd or -errno, failed syscall name, bound port]
Napi::Value UringObject::UdpBind(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* stage = "";
  int fd = BindUdp(info[0].As<Napi::String>().Utf8Value(), info[1].As<Napi::Number>().Int32Value(),
                   &stage);
  return Opened(env, fd, stage);
}

// recvMsg(fd, id, bgid, nameLen): multishot; each buffer of group bgid receives
// [io_uring_recvmsg_out][nameLen bytes of address][payload].
Napi::Value UringObject::RecvMsg(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = info[0].As<Napi::Number>().Int32Value();
  uint32_t id = info[1].As<Napi::Number>().Uint32Value();
  unsigned bgid = info[2].As<Napi::Number>().Uint32Value();
  unsigned name_len = info[3].As<Napi::Number>().Uint32Value();
  if (Group(bgid) == nullptr) return Napi::Number::New(env, -ENOENT);
  io_uring_sqe* sqe = ring_.GetSqe();
  if (sqe == nullptr) return Napi::Number::New(env, ring_.open() ? -EBUSY : -EBADF);
  if (id >= recvmsg_group_.size()) recvmsg_group_.resize(id + 64, 0);
  recvmsg_group_[id] = static_cast<uint16_t>(bgid);
  msghdr& hdr = recvmsg_hdrs_[id];
  memset(&hdr, 0, sizeof(hdr));
  // Only the lengths matter for a buffer-select recvmsg: they reserve room in every buffer.
  hdr.msg_namelen = name_len;
  PrepRecvMsgMultishot(sqe, fd, &hdr, static_cast<uint16_t>(bgid), id);
  return Napi::Number::New(env, 0);
}

// sendMsgs(fd, tag, staging Uint8Array, start, end) -> datagrams queued or -errno. The records in
// staging[start, end) are sent in place: JS leaves that region alone until the batch's event.
Napi::Value UringObject::SendMsgs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = info[0].As<Napi::Number>().Int32Value();
  uint32_t tag = info[1].As<Napi::Number>().Uint32Value();
  Napi::Uint8Array staging = info[2].As<Napi::Uint8Array>();
  size_t start = info[3].As<Napi::Number>().Uint32Value();
  size_t end = info[4].As<Napi::Number>().Uint32Value();
  if (start > end || end > staging.ByteLength() || (start & 7) != 0) {
    return Napi::Number::New(env, -EINVAL);
  }
  if (!ring_.open()) return Napi::Number::New(env, -EBADF);
  int r = send_batches_.Prepare(&ring_, fd, tag, staging.Data() + start, end - start);
  return Napi::Number::New(env, r);
}

}  // namespace uring
}  // namespace gatio
