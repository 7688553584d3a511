#include "uring-object.h"

#include <errno.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../args.h"
#include "../errors.h"
#include "ops.h"
#include "socket.h"

namespace gatio {
namespace uring {

void OnHandleClosed(uv_handle_t* handle) {
  auto* h = static_cast<LoopHandles*>(handle->data);
  if (--h->open == 0) delete h;
}

namespace {

constexpr const char* kCtorSig = "new Uring(entries, onEvents)";
// The CQ gets 4 x entries and may not exceed IORING_MAX_CQ_ENTRIES (65536).
constexpr uint32_t kMaxEntries = 16384;

void OnPoll(uv_poll_t* handle, int status, int /*events*/) {
  auto* h = static_cast<LoopHandles*>(handle->data);
  if (h->owner == nullptr || status != 0) return;
  // Clear the eventfd before entering the kernel: work queued after this read signals it again.
  uint64_t value;
  if (read(h->eventfd, &value, sizeof(value)) < 0) {
    // EAGAIN: a spurious wake-up; entering once more is harmless.
  }
  h->owner->PumpSafely(true);
}

// Before the loop blocks: submit what this turn queued (writes from timers or resolved
// promises), so every turn costs at most one io_uring_enter for its submissions.
void OnPrepare(uv_prepare_t* handle) {
  auto* h = static_cast<LoopHandles*>(handle->data);
  if (h->owner != nullptr) h->owner->PumpSafely(false);
}

// An Int32Array over a new SharedArrayBuffer: JavaScript can neither detach nor transfer it, so
// the data pointer kept here stays valid for as long as the reference does. Empty, with an
// exception pending, on failure. Raw N-API: the globals are the program's (a getter may throw),
// and node-addon-api's wrappers are not safe with an exception pending.
Napi::Int32Array SharedInt32Array(Napi::Env env, size_t length, int32_t** data) {
  napi_value global, sab_ctor, i32_ctor, size, sab, array, buffer;
  napi_typedarray_type type;
  size_t count = 0;
  void* base = nullptr;
  bool plain = true;
  // Checked, not assumed: a program may have replaced the globals.
  if (napi_get_global(env, &global) != napi_ok ||
      napi_get_named_property(env, global, "SharedArrayBuffer", &sab_ctor) != napi_ok ||
      napi_get_named_property(env, global, "Int32Array", &i32_ctor) != napi_ok ||
      napi_create_double(env, static_cast<double>(length) * 4, &size) != napi_ok ||
      napi_new_instance(env, sab_ctor, 1, &size, &sab) != napi_ok ||
      napi_new_instance(env, i32_ctor, 1, &sab, &array) != napi_ok ||
      napi_get_typedarray_info(env, array, &type, &count, &base, &buffer, nullptr) != napi_ok ||
      type != napi_int32_array || count != length || base == nullptr ||
      napi_is_arraybuffer(env, buffer, &plain) != napi_ok || plain) {
    ThrowErrno(env, -ENOTSUP, "new SharedArrayBuffer");  // no-op when one is pending
    return Napi::Int32Array();
  }
  *data = static_cast<int32_t*>(base);
  return Napi::Int32Array(env, array);
}

// Defines a read-only own data property (no setter on the prototype chain can intercept it).
void DefineReadOnly(Napi::Object target, const char* name, Napi::Value value) {
  target.DefineProperty(Napi::PropertyDescriptor::Value(name, value, napi_enumerable));
}

}  // namespace

#define GATIO_METHOD(name, method) InstanceMethod(name, &UringObject::Guard<&UringObject::method>)

Napi::Function UringObject::Define(Napi::Env env) {
  return DefineClass(env, "Uring",
                     {
                         GATIO_METHOD("addBufferGroup", AddBufferGroup),
                         GATIO_METHOD("listen", Listen),
                         GATIO_METHOD("accept", Accept),
                         GATIO_METHOD("recv", Recv),
                         GATIO_METHOD("send", Send),
                         GATIO_METHOD("close", Close),
                         GATIO_METHOD("shutdown", Shutdown),
                         GATIO_METHOD("cancel", Cancel),
                         GATIO_METHOD("timeout", Timeout),
                         GATIO_METHOD("timeoutRemove", TimeoutRemove),
                         GATIO_METHOD("flush", Flush),
                         GATIO_METHOD("peerName", PeerName),
                         GATIO_METHOD("setNoDelay", SetNoDelay),
                         GATIO_METHOD("info", Info),
                         GATIO_METHOD("destroy", Destroy),
                         GATIO_METHOD("udpBind", UdpBind),
                         GATIO_METHOD("recvMsg", RecvMsg),
                         GATIO_METHOD("sendMsgs", SendMsgs),
                         GATIO_METHOD("addSendSlab", AddSendSlab),
                         GATIO_METHOD("setSendTable", SetSendTable),
                     });
}
#undef GATIO_METHOD

// new Uring(entries, onEvents). Throws GATIO_ERR_NATIVE with syscall 'io_uring_setup' (EINVAL:
// the kernel lacks SINGLE_ISSUER / DEFER_TASKRUN, i.e. is older than 6.1). On any throw,
// node-addon-api deletes the half-built object, whose destructor tears down what exists.
UringObject::UringObject(const Napi::CallbackInfo& info)
    : Napi::ObjectWrap<UringObject>(info), env_(info.Env()) {
  try {
    Init(info);
  } catch (const std::bad_alloc&) {
    ThrowNoMemory(info.Env());
  } catch (const std::exception& e) {
    ThrowCppException(info.Env(), e);
  }
}

void UringObject::Init(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint32_t entries;
  if (!ArgU32(info, 0, kCtorSig, "entries", &entries, 1, kMaxEntries)) return;
  if (!info[1].IsFunction()) {
    ThrowWrongType(info, 1, kCtorSig, "onEvents", "a function");
    return;
  }
  int r = ring_.Setup(entries);
  if (r < 0) {
    ThrowErrno(env, r, "io_uring_setup");
    return;
  }
  callback_ = Napi::Persistent(info[1].As<Napi::Function>());
  events_cap_ = ring_.cq_entries();
  // The completion path never allocates: a batch holds at most events_cap_ events (each may
  // name one buffer to recycle) and at most half of them are held sends.
  recycle_.reserve(events_cap_);
  recycle_group_.reserve(events_cap_);
  held_sends_.reserve(events_cap_ / 2 + 1);
  Napi::Object self = info.This().As<Napi::Object>();
  Napi::Int32Array events = SharedInt32Array(env, static_cast<size_t>(events_cap_) * 4, &events_);
  if (events.IsEmpty()) return;
  events_ref_ = Napi::Persistent(events);
  DefineReadOnly(self, "events", events);
  Napi::Int32Array control = SharedInt32Array(env, kControlSize, &control_);
  if (control.IsEmpty()) return;
  control_ref_ = Napi::Persistent(control);
  DefineReadOnly(self, "control", control);
  async_ = std::make_unique<Napi::AsyncContext>(env, "gatio.uring");
  // sendQueued is an own property bound to this object, not a prototype method: those pay
  // napi_unwrap (a private-symbol lookup in V8's runtime) on every call, and flush makes this call
  // once per batch. JavaScript may keep the function longer than the object: see BoundCell.
  send_queued_cell_ = new BoundCell{this, 2};
  auto send_queued = [](const Napi::CallbackInfo& i) -> Napi::Value {
    auto* cell = static_cast<BoundCell*>(i.Data());
    if (cell->owner == nullptr) return Napi::Number::New(i.Env(), -EBADF);
    try {
      return cell->owner->SendQueued(i);
    } catch (const std::exception&) {
      ThrowNoMemory(i.Env());
      return i.Env().Undefined();
    }
  };
  Napi::Function fn = Napi::Function::New(env, send_queued, "sendQueued", send_queued_cell_);
  if (env.IsExceptionPending()) return;
  napi_status st = napi_add_finalizer(
      env, fn, send_queued_cell_,
      [](napi_env, void* data, void*) { ReleaseCell(static_cast<BoundCell*>(data)); }, nullptr,
      nullptr);
  // Without the finalizer the function's reference is never dropped: the cell then outlives
  // both (a few bytes), which is safe.
  if (st != napi_ok) send_queued_cell_->refs++;
  DefineReadOnly(self, "sendQueued", fn);

  // Watch a registered eventfd rather than the ring fd: with DEFER_TASKRUN a completion first
  // becomes task work that only this thread can run, and queuing that work signals the eventfd
  // but does not wake pollers of the ring fd (measured here: a recv completing later never
  // made the ring fd readable).
  int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (efd < 0) {
    ThrowErrno(env, -errno, "eventfd");
    return;
  }
  eventfd_ = efd;
  r = ring_.Register(IORING_REGISTER_EVENTFD, &efd, 1);
  if (r < 0) {
    ThrowErrno(env, r, "io_uring_register(EVENTFD)");
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
    Retire(cqe);
    if (op == kOpSendMsg) {
      // Datagram sends report once per batch (send-batch.h), not once per datagram.
      bool done = send_batches_.Complete(id, cqe->res, ev);
      ring_.Advance(1);
      if (done) n++;
      continue;
    }
    if (op == kOpSend) {
      const uint32_t asked = send_length_.Get(id);
      send_length_.Release(id);
      if (hold && cqe->res > 0 && cqe->res <= kHoldMaxBytes &&
          static_cast<uint32_t>(cqe->res) == asked) {
        held_sends_.push_back({id, cqe->res});  // within the capacity reserved at construction
        control_[kControlHeldBytes] += cqe->res;
        ring_.Advance(1);
        if (held_sends_.size() >= events_cap_ / 2) hold = false;
        continue;
      }
    }
    ev[0] = op;
    ev[1] = static_cast<int32_t>(id);
    ev[2] = cqe->res;
    ev[3] = static_cast<int32_t>(cqe->flags);
    if (op == kOpRecv) {
      int bid = RecvCqeBuffer(cqe);
      // The CQE does not name the group; Recv() remembered it per id.
      // Within the capacity reserved at construction: one per event of the batch.
      if (bid >= 0) {
        recycle_.push_back(static_cast<uint16_t>(bid));
        recycle_group_.push_back(recv_group_.Get(id));
      }
      if ((cqe->flags & IORING_CQE_F_MORE) == 0) recv_group_.Release(id);
    } else if (op == kOpRecvMsg) {
      int bid = RecvCqeBuffer(cqe);
      if (bid >= 0) {
        recycle_.push_back(static_cast<uint16_t>(bid));
        recycle_group_.push_back(recvmsg_group_.Get(id));
      }
      if ((cqe->flags & IORING_CQE_F_MORE) == 0) recvmsg_group_.Release(id);
    } else if (op == kOpAccept && cqe->res >= 0 && !Track(cqe->res)) {
      // No memory to remember it: close it now rather than hand JS an fd it could not use.
      close(cqe->res);
      ev[2] = -ENOMEM;
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

// Nothing may unwind out of a uv callback; the pump does not allocate (its buffers are reserved
// at construction), so this only guards the unexpected. What it catches is reported as an
// uncaught exception of this thread (the runtime restarts the driver), not an abort.
void UringObject::PumpSafely(bool readable) noexcept {
  try {
    Pump(readable);
  } catch (...) {
    in_pump_ = false;
    Napi::HandleScope scope(env_);
    ThrowNoMemory(env_);
    napi_value error;
    if (napi_get_and_clear_last_exception(env_, &error) == napi_ok) {
      napi_fatal_exception(env_, error);
    }
  }
}

void UringObject::ExpectSend(uint32_t id, uint32_t length) { send_length_.Set(id, length); }

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

}  // namespace uring
}  // namespace gatio
