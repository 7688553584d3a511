// The per-operation methods of `Uring` (see uring-object.h): each checks its arguments (args.h),
// answers -EBADF once the ring is destroyed, refuses an fd this ring does not own
// (FdNotOwnedError), then fills one SQE. Submission happens once per turn (uring-object.cc).
#include <errno.h>
#include <unistd.h>

#include "../args.h"
#include "../errors.h"
#include "ops.h"
#include "socket.h"
#include "uring-object.h"

namespace gatio {
namespace uring {

namespace {
// Host literals: an IPv6 address with a zone fits easily.
constexpr size_t kMaxHostBytes = 255;
}  // namespace

#define GATIO_SQE_OR_RETURN(sqe)                                          \
  io_uring_sqe* sqe = Sqe();                                              \
  if (sqe == nullptr) {                                                   \
    return Napi::Number::New(info.Env(), ring_.open() ? -EBUSY : -EBADF); \
  }

#define GATIO_OPEN_OR_RETURN() \
  if (!ring_.open()) return Napi::Number::New(info.Env(), -EBADF)

// accept(listenFd, id): multishot, on a listener this ring opened.
Napi::Value UringObject::Accept(const Napi::CallbackInfo& info) {
  static constexpr const char* kSig = "accept(listenFd, id)";
  int fd;
  uint32_t id;
  if (!ArgFd(info, 0, kSig, &fd) || !ArgU32(info, 1, kSig, "id", &id))
    return info.Env().Undefined();
  GATIO_OPEN_OR_RETURN();
  if (!CheckOwned(info.Env(), kSig, fd)) return info.Env().Undefined();
  GATIO_SQE_OR_RETURN(sqe);
  PrepAcceptMultishot(sqe, fd, id);
  return Napi::Number::New(info.Env(), 0);
}

// recv(fd, id, bgid) -> 0, -ENOENT (no such buffer group) or -errno
Napi::Value UringObject::Recv(const Napi::CallbackInfo& info) {
  static constexpr const char* kSig = "recv(fd, id, bgid)";
  int fd;
  uint32_t id, bgid;
  if (!ArgFd(info, 0, kSig, &fd) || !ArgU32(info, 1, kSig, "id", &id) ||
      !ArgU32(info, 2, kSig, "bgid", &bgid, 0, UINT16_MAX)) {
    return info.Env().Undefined();
  }
  GATIO_OPEN_OR_RETURN();
  if (!CheckOwned(info.Env(), kSig, fd)) return info.Env().Undefined();
  if (Group(bgid) == nullptr) return Napi::Number::New(info.Env(), -ENOENT);
  recv_group_.Set(id, static_cast<uint16_t>(bgid));  // before the SQE: it may throw
  GATIO_SQE_OR_RETURN(sqe);
  PrepRecvMultishot(sqe, fd, static_cast<uint16_t>(bgid), id);
  return Napi::Number::New(info.Env(), 0);
}

// send(fd, id, bytes, offset, length) -> 0 or -errno; -EINVAL when [offset, offset + length) is
// not inside bytes (say, its buffer was detached). The caller keeps bytes alive until the CQE.
Napi::Value UringObject::Send(const Napi::CallbackInfo& info) {
  static constexpr const char* kSig = "send(fd, id, bytes, offset, length)";
  int fd;
  uint32_t id, offset, length;
  uint8_t* data;
  size_t bytes;
  if (!ArgFd(info, 0, kSig, &fd) || !ArgU32(info, 1, kSig, "id", &id) ||
      !ArgBytes(info, 2, kSig, "bytes", &data, &bytes) ||
      !ArgU32(info, 3, kSig, "offset", &offset) || !ArgU32(info, 4, kSig, "length", &length)) {
    return info.Env().Undefined();
  }
  // 64-bit sum: two uint32 cannot wrap it.
  if (static_cast<uint64_t>(offset) + length > bytes) return Napi::Number::New(info.Env(), -EINVAL);
  GATIO_OPEN_OR_RETURN();
  if (!CheckOwned(info.Env(), kSig, fd)) return info.Env().Undefined();
  ExpectSend(id, length);  // before the SQE: it may throw
  GATIO_SQE_OR_RETURN(sqe);
  PrepSend(sqe, fd, data + offset, length, id);
  return Napi::Number::New(info.Env(), 0);
}

// close(fd, id): the fd is no longer ours from here on.
Napi::Value UringObject::Close(const Napi::CallbackInfo& info) {
  static constexpr const char* kSig = "close(fd, id)";
  int fd;
  uint32_t id;
  if (!ArgFd(info, 0, kSig, &fd) || !ArgU32(info, 1, kSig, "id", &id))
    return info.Env().Undefined();
  GATIO_OPEN_OR_RETURN();
  if (!CheckOwned(info.Env(), kSig, fd)) return info.Env().Undefined();
  GATIO_SQE_OR_RETURN(sqe);
  PrepClose(sqe, fd, id);
  Untrack(fd);
  return Napi::Number::New(info.Env(), 0);
}

// shutdown(fd, id, how): how is SHUT_RD (0), SHUT_WR (1) or SHUT_RDWR (2).
Napi::Value UringObject::Shutdown(const Napi::CallbackInfo& info) {
  static constexpr const char* kSig = "shutdown(fd, id, how)";
  int fd;
  uint32_t id, how;
  if (!ArgFd(info, 0, kSig, &fd) || !ArgU32(info, 1, kSig, "id", &id) ||
      !ArgU32(info, 2, kSig, "how", &how, 0, 2)) {
    return info.Env().Undefined();
  }
  GATIO_OPEN_OR_RETURN();
  if (!CheckOwned(info.Env(), kSig, fd)) return info.Env().Undefined();
  GATIO_SQE_OR_RETURN(sqe);
  PrepShutdown(sqe, fd, static_cast<int>(how), id);
  return Napi::Number::New(info.Env(), 0);
}

// cancel(targetOp, targetId, id): cancels this ring's request (targetOp, targetId), if any.
Napi::Value UringObject::Cancel(const Napi::CallbackInfo& info) {
  static constexpr const char* kSig = "cancel(targetOp, targetId, id)";
  uint32_t op, target, id;
  if (!ArgU32(info, 0, kSig, "targetOp", &op, 0, 255) ||
      !ArgU32(info, 1, kSig, "targetId", &target) || !ArgU32(info, 2, kSig, "id", &id)) {
    return info.Env().Undefined();
  }
  GATIO_OPEN_OR_RETURN();
  GATIO_SQE_OR_RETURN(sqe);
  PrepCancel(sqe, UserData(static_cast<uint8_t>(op), target), id);
  return Napi::Number::New(info.Env(), 0);
}

// timeout(ms, id): multishot, every ms (at least 1: a 0 ms period would flood the CQ).
Napi::Value UringObject::Timeout(const Napi::CallbackInfo& info) {
  static constexpr const char* kSig = "timeout(ms, id)";
  uint32_t ms, id;
  if (!ArgU32(info, 0, kSig, "ms", &ms, 1) || !ArgU32(info, 1, kSig, "id", &id)) {
    return info.Env().Undefined();
  }
  GATIO_OPEN_OR_RETURN();
  __kernel_timespec* ts = &timespecs_[id];  // before the SQE: it may throw
  GATIO_SQE_OR_RETURN(sqe);
  PrepTimeoutMultishot(sqe, ts, ms, id);
  return Napi::Number::New(info.Env(), 0);
}

// timeoutRemove(timeoutId, id)
Napi::Value UringObject::TimeoutRemove(const Napi::CallbackInfo& info) {
  static constexpr const char* kSig = "timeoutRemove(timeoutId, id)";
  uint32_t target, id;
  if (!ArgU32(info, 0, kSig, "timeoutId", &target) || !ArgU32(info, 1, kSig, "id", &id)) {
    return info.Env().Undefined();
  }
  GATIO_OPEN_OR_RETURN();
  GATIO_SQE_OR_RETURN(sqe);
  PrepTimeoutRemove(sqe, target, id);
  return Napi::Number::New(info.Env(), 0);
}
#undef GATIO_SQE_OR_RETURN

// flush(): submit now (inside a batch, the pump submits on return anyway).
Napi::Value UringObject::Flush(const Napi::CallbackInfo& info) {
  int r = ring_.pending() > 0 ? ring_.Submit() : 0;
  return Napi::Number::New(info.Env(), r);
}

// peerName(fd) -> [address, port] or -errno. An fd this ring does not own answers -EBADF, as a
// closed one would (a handler may ask for a connection's address after it closed).
Napi::Value UringObject::PeerName(const Napi::CallbackInfo& info) {
  int fd;
  if (!ArgFd(info, 0, "peerName(fd)", &fd)) return info.Env().Undefined();
  if (!ring_.open() || !Owned(fd)) return Napi::Number::New(info.Env(), -EBADF);
  std::string address;
  int port = 0;
  int r = uring::PeerName(fd, &address, &port);
  if (r < 0) return Napi::Number::New(info.Env(), r);
  Napi::Array out = Napi::Array::New(info.Env(), 2);
  out.Set(0u, Napi::String::New(info.Env(), address));
  out.Set(1u, Napi::Number::New(info.Env(), port));
  return out;
}

// setNoDelay(fd, on) -> 0 or -errno
Napi::Value UringObject::SetNoDelay(const Napi::CallbackInfo& info) {
  static constexpr const char* kSig = "setNoDelay(fd, on)";
  int fd;
  bool on;
  if (!ArgFd(info, 0, kSig, &fd) || !ArgBool(info, 1, kSig, "on", &on)) {
    return info.Env().Undefined();
  }
  GATIO_OPEN_OR_RETURN();
  if (!CheckOwned(info.Env(), kSig, fd)) return info.Env().Undefined();
  return Napi::Number::New(info.Env(), uring::SetNoDelay(fd, on));
}
#undef GATIO_OPEN_OR_RETURN

// addBufferGroup(bgid, memory, size, count) -> 0 or -errno: registers a provided buffer ring
// whose `count` buffers of `size` bytes are slices of memory (kept alive here until teardown).
Napi::Value UringObject::AddBufferGroup(const Napi::CallbackInfo& info) {
  static constexpr const char* kSig = "addBufferGroup(bgid, memory, size, count)";
  Napi::Env env = info.Env();
  uint32_t bgid, size, count;
  uint8_t* data;
  size_t bytes;
  if (!ArgU32(info, 0, kSig, "bgid", &bgid, 0, 1024) ||
      !ArgArrayBuffer(info, 1, kSig, "memory", &data, &bytes) ||
      !ArgU32(info, 2, kSig, "size", &size, 1, INT32_MAX) ||
      !ArgU32(info, 3, kSig, "count", &count, 1, 32768)) {
    return env.Undefined();
  }
  if ((count & (count - 1)) != 0) {
    ThrowArgRange(
        env, std::string(kSig) + ": count must be a power of two, got " + std::to_string(count));
    return env.Undefined();
  }
  if (static_cast<uint64_t>(size) * count > bytes) {
    ThrowArgRange(env, std::string(kSig) + ": memory holds " + std::to_string(bytes) +
                           " bytes, fewer than size * count = " +
                           std::to_string(static_cast<uint64_t>(size) * count));
    return env.Undefined();
  }
  if (!ring_.open()) return Napi::Number::New(env, -EBADF);
  if (bgid >= groups_.size()) groups_.resize(bgid + 1);
  if (groups_[bgid]) return Napi::Number::New(env, -EEXIST);
  auto g = std::make_unique<BufRing>();
  group_memory_.reserve(group_memory_.size() + 1);  // may throw before the kernel knows it
  int r = g->Register(&ring_, static_cast<uint16_t>(bgid), data, size, count);
  if (r < 0) return Napi::Number::New(env, r);
  groups_[bgid] = std::move(g);
  group_memory_.push_back(Napi::Persistent(info[1].As<Napi::ArrayBuffer>()));
  return Napi::Number::New(env, 0);
}

// listen(host, port, backlog) -> [fd or -errno, failed syscall name, bound port]
Napi::Value UringObject::Listen(const Napi::CallbackInfo& info) {
  static constexpr const char* kSig = "listen(host, port, backlog)";
  Napi::Env env = info.Env();
  std::string host;
  uint32_t port;
  double backlog;
  if (!ArgString(info, 0, kSig, "host", kMaxHostBytes, &host) ||
      !ArgU32(info, 1, kSig, "port", &port, 0, 65535) ||
      !ArgInteger(info, 2, kSig, "backlog", 0, 9007199254740991.0, &backlog)) {
    return env.Undefined();
  }
  if (!ring_.open()) return Opened(env, -EBADF, "listen");
  const char* stage = "";
  // listen(2) caps the backlog at net.core.somaxconn anyway.
  int fd = ListenTcp(host, static_cast<int>(port),
                     backlog > INT32_MAX ? INT32_MAX : static_cast<int>(backlog), &stage);
  return Opened(env, fd, stage);
}

// [fd or -errno, the failing syscall, bound port] for a socket this ring now owns (closed by
// the cleanup hook if JS never closes it).
Napi::Value UringObject::Opened(Napi::Env env, int fd, const char* stage) {
  if (fd >= 0 && !Track(fd)) {
    close(fd);
    fd = -ENOMEM;
    stage = "allocation";
  }
  Napi::Array out = Napi::Array::New(env, 3);
  out.Set(0u, Napi::Number::New(env, fd));
  out.Set(1u, Napi::String::New(env, stage));
  out.Set(2u, Napi::Number::New(env, fd >= 0 ? LocalPort(fd) : 0));
  return out;
}

// info() -> { fd, sqEntries, cqEntries, batches, completions, submits, cqOverflows,
// lastSubmitErrno, inFlight }
Napi::Value UringObject::Info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  o.Set("fd", ring_.fd());
  o.Set("sqEntries", ring_.sq_entries());
  o.Set("cqEntries", ring_.cq_entries());
  o.Set("batches", static_cast<double>(batches_));
  o.Set("completions", static_cast<double>(completions_));
  o.Set("submits", static_cast<double>(submits_));
  o.Set("cqOverflows", static_cast<double>(cq_overflows_));
  o.Set("lastSubmitErrno", -last_submit_error_);
  o.Set("inFlight", static_cast<double>(in_flight_));
  return o;
}

Napi::Value UringObject::Destroy(const Napi::CallbackInfo& info) {
  Teardown();
  return info.Env().Undefined();
}

}  // namespace uring
}  // namespace gatio
