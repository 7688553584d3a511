#include "uring-object.h"

#include <errno.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../errors.h"
#include "ops.h"
#include "socket.h"

namespace gatio {
namespace uring {

// Heap-allocated apart from the object: uv_close completes on a later loop turn, possibly after
// the object was collected, so the handles must not live inside it.
struct LoopHandles {
  uv_poll_t poll;
  uv_prepare_t prepare;
  UringObject* owner;
  int eventfd;
  int open;
};

namespace {

void OnPoll(uv_poll_t* handle, int status, int /*events*/) {
  auto* h = static_cast<LoopHandles*>(handle->data);
  if (h->owner == nullptr || status != 0) return;
  // Clear the eventfd before entering the kernel: work queued after this read signals it again.
  uint64_t value;
  if (read(h->eventfd, &value, sizeof(value)) < 0) {
    // EAGAIN: a spurious wake-up; entering once more is harmless.
  }
  h->owner->Pump(true);
}

// Before the loop blocks: submit what this turn queued (writes from timers or resolved
// promises), so every turn costs at most one io_uring_enter for its submissions.
void OnPrepare(uv_prepare_t* handle) {
  auto* h = static_cast<LoopHandles*>(handle->data);
  if (h->owner != nullptr) h->owner->Pump(false);
}

void OnClosed(uv_handle_t* handle) {
  auto* h = static_cast<LoopHandles*>(handle->data);
  if (--h->open == 0) delete h;
}

int Int(const Napi::CallbackInfo& info, size_t i) {
  return info[i].As<Napi::Number>().Int32Value();
}
uint32_t U32(const Napi::CallbackInfo& info, size_t i) {
  return info[i].As<Napi::Number>().Uint32Value();
}

}  // namespace

Napi::Function UringObject::Define(Napi::Env env) {
  return DefineClass(env, "Uring",
                     {
                         InstanceMethod("addBufferGroup", &UringObject::AddBufferGroup),
                         InstanceMethod("listen", &UringObject::Listen),
                         InstanceMethod("accept", &UringObject::Accept),
                         InstanceMethod("recv", &UringObject::Recv),
                         InstanceMethod("send", &UringObject::Send),
                         InstanceMethod("close", &UringObject::Close),
                         InstanceMethod("shutdown", &UringObject::Shutdown),
                         InstanceMethod("cancel", &UringObject::Cancel),
                         InstanceMethod("timeout", &UringObject::Timeout),
                         InstanceMethod("timeoutRemove", &UringObject::TimeoutRemove),
                         InstanceMethod("flush", &UringObject::Flush),
                         InstanceMethod("peerName", &UringObject::PeerName),
                         InstanceMethod("setNoDelay", &UringObject::SetNoDelay),
                         InstanceMethod("info", &UringObject::Info),
                         InstanceMethod("destroy", &UringObject::Destroy),
                         InstanceMethod("udpBind", &UringObject::UdpBind),
                         InstanceMethod("recvMsg", &UringObject::RecvMsg),
                         InstanceMethod("sendMsgs", &UringObject::SendMsgs),
                         InstanceMethod("addSendSlab", &UringObject::AddSendSlab),
                         InstanceMethod("setSendTable", &UringObject::SetSendTable),
                     });
}

// new Uring(entries, onEvents). Throws GATIO_ERR_NATIVE with syscall 'io_uring_setup' (EINVAL:
// the kernel lacks SINGLE_ISSUER / DEFER_TASKRUN, i.e. is older than 6.1).
UringObject::UringObject(const Napi::CallbackInfo& info)
    : Napi::ObjectWrap<UringObject>(info), env_(info.Env()) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsFunction()) {
    ThrowInvalidArg(env, "new Uring(entries, onEvents) expects a number and a function");
    return;
  }
  int r = ring_.Setup(U32(info, 0));
  if (r < 0) {
    ThrowErrno(env, r, "io_uring_setup");
    return;
  }
  callback_ = Napi::Persistent(info[1].As<Napi::Function>());
  events_cap_ = ring_.cq_entries();
  Napi::Int32Array events = Napi::Int32Array::New(env, events_cap_ * 4);
  events_ = events.Data();
  events_ref_ = Napi::Persistent(events);
  info.This().As<Napi::Object>().Set("events", events);
  Napi::Int32Array control = Napi::Int32Array::New(env, kControlSize);
  control_ = control.Data();
  control_ref_ = Napi::Persistent(control);
  info.This().As<Napi::Object>().Set("control", control);
  async_ = std::make_unique<Napi::AsyncContext>(env, "gatio.uring");
  // sendQueued is an own property bound to this object, not a prototype method: those pay
  // napi_unwrap (a private-symbol lookup in V8's runtime) on every call, and flush makes this call
  // once per batch. The wrapper holds the function, so it does not outlive this object.
  auto send_queued = [](const Napi::CallbackInfo& i) {
    return static_cast<UringObject*>(i.Data())->SendQueued(i);
  };
  info.This().As<Napi::Object>().Set("sendQueued",
                                     Napi::Function::New(env, send_queued, "sendQueued", this));

  // Watch a registered eventfd rather than the ring fd: with DEFER_TASKRUN a completion first
  // becomes task work that only this thread can run, and queuing that work signals the eventfd
  // but does not wake pollers of the ring fd (measured here: a recv completing later never
  // made the ring fd readable).
  int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (efd < 0) {
    ThrowErrno(env, -errno, "eventfd");
    return;
  }
  Track(efd);
  r = ring_.Register(IORING_REGISTER_EVENTFD, &efd, 1);
  if (r < 0) {
    ThrowErrno(env, r, "io_uring_register(EVENTFD)");
    Teardown();
    return;
  }
  uv_loop_t* loop = nullptr;
  napi_get_uv_event_loop(env, &loop);
  handles_ = new LoopHandles();
  handles_->owner = this;
  handles_->eventfd = efd;
  handles_->open = 2;
  handles_->poll.data = handles_;
  handles_->prepare.data = handles_;
  uv_poll_init(loop, &handles_->poll, efd);
  uv_poll_start(&handles_->poll, UV_READABLE, OnPoll);
  uv_prepare_init(loop, &handles_->prepare);
  uv_prepare_start(&handles_->prepare, OnPrepare);
  // The prepare hook alone must not keep a worker alive; the poll (an open ring) does.
  uv_unref(reinterpret_cast<uv_handle_t*>(&handles_->prepare));
  napi_add_env_cleanup_hook(env, CleanupHook, this);
  hooked_ = true;
}

UringObject::~UringObject() { Teardown(); }

void UringObject::CleanupHook(void* arg) {
  auto* self = static_cast<UringObject*>(arg);
  self->hooked_ = false;  // node removes a hook once it has run
  self->Teardown();
}

void UringObject::Teardown() {
  if (hooked_) {
    napi_remove_env_cleanup_hook(env_, CleanupHook, this);
    hooked_ = false;
  }
  if (handles_ != nullptr) {
    handles_->owner = nullptr;
    uv_close(reinterpret_cast<uv_handle_t*>(&handles_->poll), OnClosed);
    uv_close(reinterpret_cast<uv_handle_t*>(&handles_->prepare), OnClosed);
    handles_ = nullptr;
  }
  // Unregister the buffer rings, then close the ring (the kernel cancels what is in flight),
  // then the sockets: closing a socket first would leave it held by its armed requests.
  for (auto& g : groups_) {
    if (g) g->Unregister();
  }
  ring_.Close();
  groups_.clear();
  for (size_t fd = 0; fd < fds_.size(); fd++) {
    if (fds_[fd]) close(static_cast<int>(fd));
  }
  fds_.clear();
}

void UringObject::Track(int fd) {
  if (fd < 0) return;
  if (static_cast<size_t>(fd) >= fds_.size()) fds_.resize(fd + 1024, 0);
  fds_[fd] = 1;
}

void UringObject::Untrack(int fd) {
  if (fd >= 0 && static_cast<size_t>(fd) < fds_.size()) fds_[fd] = 0;
}

BufRing* UringObject::Group(unsigned bgid) {
  return bgid < groups_.size() ? groups_[bgid].get() : nullptr;
}

// Copies the CQ into `events` and returns how many events to hand to JS (0: none). A send that
// sent everything it was asked to, while JS does not wait for sends (control[0] == 0), is held
// back and handed over in front of the next batch that has something else: it only gives a send
// block back, and holding it saves a call into JavaScript per loop turn.
unsigned UringObject::Reap() {
  const bool urgent = control_[kControlUrgent] != 0;
  const size_t held_before = held_sends_.size();
  bool hold = !urgent && held_before < events_cap_ / 2;
  unsigned n = static_cast<unsigned>(held_before);  // slots [0, held_before) are theirs
  io_uring_cqe* cqe;
  while (n < events_cap_ && (cqe = ring_.Peek()) != nullptr) {
    uint8_t op = UserDataOp(cqe->user_data);
    uint32_t id = UserDataId(cqe->user_data);
    int32_t* ev = events_ + n * 4;
    if (op == kOpSendMsg) {
      // Datagram sends report once per batch (send-batch.h), not once per datagram.
      bool done = send_batches_.Complete(id, cqe->res, ev);
      ring_.Advance(1);
      if (done) n++;
      continue;
    }
    if (op == kOpSend && hold && cqe->res > 0 && cqe->res <= kHoldMaxBytes &&
        SlotOf(id) < send_length_.size() &&
        static_cast<uint32_t>(cqe->res) == send_length_[SlotOf(id)]) {
      held_sends_.push_back({id, cqe->res});
      control_[kControlHeldBytes] += cqe->res;
      ring_.Advance(1);
      if (held_sends_.size() >= events_cap_ / 2) hold = false;
      continue;
    }
    ev[0] = op;
    ev[1] = static_cast<int32_t>(id);
    ev[2] = cqe->res;
    ev[3] = static_cast<int32_t>(cqe->flags);
    if (op == kOpRecv) {
      int bid = RecvCqeBuffer(cqe);
      // The CQE does not name the group; Recv() remembered it per id.
      if (bid >= 0) {
        recycle_.push_back(static_cast<uint16_t>(bid));
        recycle_group_.push_back(SlotOf(id) < recv_group_.size() ? recv_group_[SlotOf(id)] : 0);
      }
    } else if (op == kOpRecvMsg) {
      int bid = RecvCqeBuffer(cqe);
      if (bid >= 0) {
        recycle_.push_back(static_cast<uint16_t>(bid));
        recycle_group_.push_back(id < recvmsg_group_.size() ? recvmsg_group_[id] : 0);
      }
    } else if (op == kOpAccept && cqe->res >= 0) {
      Track(cqe->res);
    }
    ring_.Advance(1);
    n++;
  }
  const bool fresh = n > held_before;
  if (!fresh && !urgent && held_sends_.size() < events_cap_ / 2) return 0;
  // Deliver: the sends held before this call go first, those held during it after the rest.
  size_t delivered = 0;
  for (; delivered < held_sends_.size(); delivered++) {
    unsigned at;
    if (delivered < held_before) {
      at = static_cast<unsigned>(delivered);
    } else {
      if (n >= events_cap_) break;
      at = n++;
    }
    int32_t* ev = events_ + at * 4;
    ev[0] = kOpSend;
    ev[1] = static_cast<int32_t>(held_sends_[delivered].id);
    ev[2] = held_sends_[delivered].res;
    ev[3] = 0;
    control_[kControlHeldBytes] -= held_sends_[delivered].res;
  }
  held_sends_.erase(held_sends_.begin(), held_sends_.begin() + delivered);
  control_[kControlUrgent] = 0;  // JS sets it again if it still waits after this batch
  return n;
}

// Hands one batch to JavaScript through the raw C API, whose failures come back as statuses:
// node-addon-api's wrappers abort the process when a call fails, which is exactly what happens
// to N-API calls made after the thread began terminating. False: stop touching JavaScript.
bool UringObject::CallBatch(unsigned n) {
  napi_env env = env_;
  napi_value count;
  napi_value recv;  // must be an object; the callback is an arrow function and ignores it
  napi_value fn;
  napi_value result;
  if (napi_create_uint32(env, n, &count) != napi_ok || napi_get_global(env, &recv) != napi_ok ||
      napi_get_reference_value(env, static_cast<napi_ref>(callback_), &fn) != napi_ok) {
    return false;
  }
  napi_status st = napi_make_callback(env, static_cast<napi_async_context>(*async_), recv, fn, 1,
                                      &count, &result);
  if (st == napi_ok) return true;
  bool pending = false;
  if (napi_is_exception_pending(env, &pending) != napi_ok || !pending) return false;
  // The JS side catches handler errors, so an exception here is a bug in it: report it the way
  // an uncaught exception from any other callback would be. When the thread is terminating,
  // there is no exception object to take, and nothing is reported.
  napi_value error;
  if (napi_get_and_clear_last_exception(env, &error) != napi_ok) return false;
  napi_valuetype type;
  if (napi_typeof(env, error, &type) != napi_ok || type == napi_undefined) return false;
  napi_fatal_exception(env, error);
  return false;
}

void UringObject::Pump(bool readable) {
  if (in_pump_ || !ring_.open()) return;
  if (!readable && ring_.pending() == 0 && !ring_.cq_ready() &&
      (held_sends_.empty() || control_[kControlUrgent] == 0)) {
    return;
  }
  in_pump_ = true;
  Napi::HandleScope scope(env_);
  // While pumping, completions need not signal the eventfd (we are here to reap them anyway),
  // least of all those of our own sends. It is enabled again before each enter that only checks
  // for more, so whatever arrives after that enter signals it (see SetEventfdEnabled).
  ring_.SetEventfdEnabled(false);
  // Enter the kernel when woken (to run the deferred task work that signalled the eventfd) or
  // when SQEs wait; after a batch, always once more: one io_uring_enter runs a bounded number of
  // deferred completions (about 20 here) and the rest signal nothing new, so the pump only stops
  // once an enter with nothing to submit brings no completion.
  bool enter = readable || ring_.pending() > 0;
  bool checking = false;  // the eventfd is enabled again for this enter
  for (int round = 0;; round++) {
    if (ring_.cq_overflowed()) cq_overflows_++;
    if (enter) {
      int r = ring_.Submit();
      submits_++;
      if (r < 0) last_submit_error_ = r;
    }
    unsigned n = Reap();
    if (n == 0 && enter && ring_.pending() == 0) {
      if (checking) break;  // drained, and the eventfd is on for what comes next
      ring_.SetEventfdEnabled(true);
      checking = true;
      continue;
    }
    if (checking) {
      ring_.SetEventfdEnabled(false);
      checking = false;
    }
    if (n > 0) {
      batches_++;
      completions_ += n;
      if (!CallBatch(n)) {
        // The thread is being torn down (process.exit or worker.terminate() during the batch):
        // no further N-API call may run here; the env cleanup hook closes the ring and sockets.
        in_pump_ = false;
        return;
      }
      // The batch's views into recv buffers are dead now: give the buffers back.
      RecycleBuffers();
    }
    if (!ring_.open()) break;
    if (round >= 7) {
      // Bounded: let the loop run its other handles, and come back (the eventfd says so).
      ring_.SetEventfdEnabled(true);
      Notify();
      break;
    }
    enter = true;
  }
  in_pump_ = false;
}

void UringObject::ExpectSend(uint32_t id, uint32_t length) {
  uint32_t slot = SlotOf(id);
  if (slot >= send_length_.size()) send_length_.resize(slot + 1024, 0);
  send_length_[slot] = length;
}

void UringObject::RecycleBuffers() {
  if (recycle_.empty()) return;
  for (size_t i = 0; i < recycle_.size(); i++) {
    BufRing* g = Group(recycle_group_[i]);
    if (g != nullptr) g->Recycle(recycle_[i]);
  }
  for (auto& g : groups_) {
    if (g) g->Commit();
  }
  recycle_.clear();
  recycle_group_.clear();
}

void UringObject::Notify() {
  if (handles_ == nullptr) return;
  uint64_t one = 1;
  if (write(handles_->eventfd, &one, sizeof(one)) < 0) {
    // EAGAIN only at a counter of 2^64-2: it is readable anyway.
  }
}

// addBufferGroup(bgid, arrayBuffer, size, count): registers a provided buffer ring whose buffers
// are slices of arrayBuffer (kept alive here until teardown).
Napi::Value UringObject::AddBufferGroup(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 4 || !info[1].IsArrayBuffer()) {
    ThrowInvalidArg(env, "addBufferGroup(bgid, arrayBuffer, size, count)");
    return env.Undefined();
  }
  unsigned bgid = U32(info, 0);
  Napi::ArrayBuffer ab = info[1].As<Napi::ArrayBuffer>();
  unsigned size = U32(info, 2);
  unsigned count = U32(info, 3);
  if (bgid > 1024 || static_cast<size_t>(size) * count > ab.ByteLength()) {
    ThrowInvalidArg(env, "addBufferGroup: bgid above 1024 or arrayBuffer smaller than size*count");
    return env.Undefined();
  }
  if (bgid >= groups_.size()) groups_.resize(bgid + 1);
  if (groups_[bgid]) return Napi::Number::New(env, -EEXIST);
  auto g = std::make_unique<BufRing>();
  int r = g->Register(&ring_, static_cast<uint16_t>(bgid), static_cast<uint8_t*>(ab.Data()), size,
                      count);
  if (r < 0) return Napi::Number::New(env, r);
  groups_[bgid] = std::move(g);
  group_memory_.push_back(Napi::Persistent(ab));
  return Napi::Number::New(env, 0);
}

// listen(host, port, backlog) -> [fd or -errno, failed syscall name, bound port]
Napi::Value UringObject::Listen(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* stage = "";
  int fd = ListenTcp(info[0].As<Napi::String>().Utf8Value(), Int(info, 1), Int(info, 2), &stage);
  return Opened(env, fd, stage);
}

// [fd or -errno, the failing syscall, bound port] for a socket this ring now owns (closed by
// the cleanup hook if JS never closes it).
Napi::Value UringObject::Opened(Napi::Env env, int fd, const char* stage) {
  Napi::Array out = Napi::Array::New(env, 3);
  out.Set(0u, Napi::Number::New(env, fd));
  out.Set(1u, Napi::String::New(env, stage));
  out.Set(2u, Napi::Number::New(env, fd >= 0 ? LocalPort(fd) : 0));
  Track(fd);
  return out;
}

#define GATIO_SQE_OR_RETURN(sqe)                                          \
  io_uring_sqe* sqe = ring_.GetSqe();                                     \
  if (sqe == nullptr) {                                                   \
    return Napi::Number::New(info.Env(), ring_.open() ? -EBUSY : -EBADF); \
  }

// accept(listenFd, id)
Napi::Value UringObject::Accept(const Napi::CallbackInfo& info) {
  GATIO_SQE_OR_RETURN(sqe);
  PrepAcceptMultishot(sqe, Int(info, 0), U32(info, 1));
  return Napi::Number::New(info.Env(), 0);
}

// recv(fd, id, bgid)
Napi::Value UringObject::Recv(const Napi::CallbackInfo& info) {
  uint32_t id = U32(info, 1);
  unsigned bgid = U32(info, 2);
  if (Group(bgid) == nullptr) return Napi::Number::New(info.Env(), -ENOENT);
  GATIO_SQE_OR_RETURN(sqe);
  uint32_t slot = SlotOf(id);
  if (slot >= recv_group_.size()) recv_group_.resize(slot + 1024, 0);
  recv_group_[slot] = static_cast<uint16_t>(bgid);
  PrepRecvMultishot(sqe, Int(info, 0), static_cast<uint16_t>(bgid), id);
  return Napi::Number::New(info.Env(), 0);
}

// send(fd, id, uint8array, offset, length): the caller keeps uint8array alive until the CQE.
Napi::Value UringObject::Send(const Napi::CallbackInfo& info) {
  Napi::Uint8Array bytes = info[2].As<Napi::Uint8Array>();
  size_t offset = U32(info, 3);
  size_t length = U32(info, 4);
  if (offset + length > bytes.ByteLength()) return Napi::Number::New(info.Env(), -EINVAL);
  GATIO_SQE_OR_RETURN(sqe);
  uint32_t id = U32(info, 1);
  ExpectSend(id, static_cast<uint32_t>(length));
  PrepSend(sqe, Int(info, 0), bytes.Data() + offset, static_cast<unsigned>(length), id);
  return Napi::Number::New(info.Env(), 0);
}

// close(fd, id)
Napi::Value UringObject::Close(const Napi::CallbackInfo& info) {
  GATIO_SQE_OR_RETURN(sqe);
  int fd = Int(info, 0);
  PrepClose(sqe, fd, U32(info, 1));
  Untrack(fd);
  return Napi::Number::New(info.Env(), 0);
}

// shutdown(fd, id, how)
Napi::Value UringObject::Shutdown(const Napi::CallbackInfo& info) {
  GATIO_SQE_OR_RETURN(sqe);
  PrepShutdown(sqe, Int(info, 0), Int(info, 2), U32(info, 1));
  return Napi::Number::New(info.Env(), 0);
}

// cancel(targetOp, targetId, id)
Napi::Value UringObject::Cancel(const Napi::CallbackInfo& info) {
  GATIO_SQE_OR_RETURN(sqe);
  PrepCancel(sqe, UserData(static_cast<uint8_t>(U32(info, 0)), U32(info, 1)), U32(info, 2));
  return Napi::Number::New(info.Env(), 0);
}

// timeout(ms, id): multishot, every ms.
Napi::Value UringObject::Timeout(const Napi::CallbackInfo& info) {
  GATIO_SQE_OR_RETURN(sqe);
  uint32_t id = U32(info, 1);
  PrepTimeoutMultishot(sqe, &timespecs_[id], U32(info, 0), id);
  return Napi::Number::New(info.Env(), 0);
}

// timeoutRemove(timeoutId, id)
Napi::Value UringObject::TimeoutRemove(const Napi::CallbackInfo& info) {
  GATIO_SQE_OR_RETURN(sqe);
  PrepTimeoutRemove(sqe, U32(info, 0), U32(info, 1));
  return Napi::Number::New(info.Env(), 0);
}
#undef GATIO_SQE_OR_RETURN

// flush(): submit now (inside a batch, the pump submits on return anyway).
Napi::Value UringObject::Flush(const Napi::CallbackInfo& info) {
  int r = ring_.pending() > 0 ? ring_.Submit() : 0;
  return Napi::Number::New(info.Env(), r);
}

// peerName(fd) -> [address, port] or -errno
Napi::Value UringObject::PeerName(const Napi::CallbackInfo& info) {
  std::string address;
  int port = 0;
  int r = uring::PeerName(Int(info, 0), &address, &port);
  if (r < 0) return Napi::Number::New(info.Env(), r);
  Napi::Array out = Napi::Array::New(info.Env(), 2);
  out.Set(0u, Napi::String::New(info.Env(), address));
  out.Set(1u, Napi::Number::New(info.Env(), port));
  return out;
}

// setNoDelay(fd, on) -> 0 or -errno
Napi::Value UringObject::SetNoDelay(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), uring::SetNoDelay(Int(info, 0), info[1].ToBoolean()));
}

// info() -> { fd, sqEntries, cqEntries, batches, completions, submits, lastSubmitErrno }
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
  return o;
}

Napi::Value UringObject::Destroy(const Napi::CallbackInfo& info) {
  Teardown();
  return info.Env().Undefined();
}

}  // namespace uring
}  // namespace gatio
