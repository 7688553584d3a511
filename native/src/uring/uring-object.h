// `Uring`: the JS-visible object owning one io_uring on the thread that created it (a driver).
//
// Threading: every method must be called on the creating thread (the ring is SINGLE_ISSUER; the
// kernel answers another thread with EEXIST). State lives in the object, nothing is static, so
// each worker's copy of the addon is independent.
//
// Completions: an eventfd registered with the ring (IORING_REGISTER_EVENTFD) is watched by this
// thread's libuv loop (uv_poll). When it turns readable, Pump() enters the kernel with GETEVENTS
// (which runs DEFER_TASKRUN's task work), copies every CQE into the `events` Int32Array as [op, id,
// res, flags] and calls the JS callback once per batch with the count. Recv buffers seen in the
// batch go back to their buffer ring when the callback returns. SQEs prepared during a JS turn are
// submitted once: after the batch callback, or by a uv_prepare hook before the loop blocks, or by
// flush().
//
// The boundary: every method checks its arguments (args.h; TypeError / RangeError naming the
// argument) and goes through Guard, so no C++ exception crosses N-API. A method taking an fd acts
// only on sockets this ring opened (listen, udpBind) or accepted and has not closed: anything else
// (stdin, another ring's socket) throws FdNotOwnedError. Once the ring is destroyed, methods
// return -EBADF. `events` and `control` live in SharedArrayBuffers, which JavaScript cannot
// detach or transfer, so the pointers kept here stay valid; the send table must be one too.
//
// Teardown (destroy(), the object being collected, or the env cleanup hook when the worker
// exits): cancel every request in flight (IORING_ASYNC_CANCEL_ANY) and reap their final CQEs, so
// the kernel no longer holds a socket, a provided buffer or a send's bytes; then unregister the
// buffer rings, close the ring, then every fd this ring created or accepted and has not closed
// (uring-object-teardown.cc).
#ifndef GATIO_NATIVE_URING_URING_OBJECT_H_
#define GATIO_NATIVE_URING_URING_OBJECT_H_

#include <napi.h>
#include <uv.h>

#include <map>
#include <memory>
#include <new>
#include <stdexcept>
#include <vector>

#include "../errors.h"
#include "buf-ring.h"
#include "id-table.h"
#include "ring.h"
#include "send-batch.h"

namespace gatio {
namespace uring {

class UringObject;

// The uv handles watching a ring's eventfd. Heap-allocated apart from the object: uv_close
// completes on a later loop turn, possibly after the object was collected, so the handles must
// not live inside it. OnHandleClosed frees them once both are closed.
struct LoopHandles {
  uv_poll_t poll;
  uv_prepare_t prepare;
  UringObject* owner;
  int eventfd;
  int open;
};
void OnHandleClosed(uv_handle_t* handle);

// Shared by a ring object and its bound sendQueued function, which JavaScript may keep and call
// after the object was collected: the function then finds owner == nullptr and answers -EBADF
// instead of touching freed memory. Freed by whichever of the two lets go last (both do so on
// the object's thread).
struct BoundCell {
  UringObject* owner;
  int refs;
};
inline void ReleaseCell(BoundCell* cell) {
  if (--cell->refs == 0) delete cell;
}

class UringObject : public Napi::ObjectWrap<UringObject> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit UringObject(const Napi::CallbackInfo& info);
  ~UringObject() override;

  // Called from the uv handles.
  void Pump(bool readable);
  void PumpSafely(bool readable) noexcept;
  bool CallBatch(unsigned n);
  Napi::Value Opened(Napi::Env env, int fd, const char* stage);
  // The bound sendQueued function (an own property, see the constructor).
  Napi::Value SendQueued(const Napi::CallbackInfo& info);

 private:
  // Every method is registered through Guard: a C++ exception (std::bad_alloc from a growing
  // table) becomes a JS error here instead of unwinding through N-API, which would abort the
  // process. Zero cost unless something throws.
  template <Napi::Value (UringObject::*M)(const Napi::CallbackInfo&)>
  Napi::Value Guard(const Napi::CallbackInfo& info) {
    try {
      return (this->*M)(info);
    } catch (const std::bad_alloc&) {
      ThrowNoMemory(info.Env());
    } catch (const std::length_error&) {
      ThrowNoMemory(info.Env());
    } catch (const std::exception& e) {
      ThrowCppException(info.Env(), e);
    }
    return info.Env().Undefined();
  }
  void Init(const Napi::CallbackInfo& info);
  Napi::Value AddBufferGroup(const Napi::CallbackInfo& info);
  Napi::Value Listen(const Napi::CallbackInfo& info);
  Napi::Value Accept(const Napi::CallbackInfo& info);
  Napi::Value Recv(const Napi::CallbackInfo& info);
  Napi::Value Send(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  Napi::Value Shutdown(const Napi::CallbackInfo& info);
  Napi::Value Cancel(const Napi::CallbackInfo& info);
  Napi::Value Timeout(const Napi::CallbackInfo& info);
  Napi::Value TimeoutRemove(const Napi::CallbackInfo& info);
  Napi::Value Flush(const Napi::CallbackInfo& info);
  Napi::Value PeerName(const Napi::CallbackInfo& info);
  Napi::Value SetNoDelay(const Napi::CallbackInfo& info);
  Napi::Value Info(const Napi::CallbackInfo& info);
  Napi::Value Destroy(const Napi::CallbackInfo& info);
  // UDP (uring-object-udp.cc)
  Napi::Value UdpBind(const Napi::CallbackInfo& info);
  Napi::Value RecvMsg(const Napi::CallbackInfo& info);
  Napi::Value SendMsgs(const Napi::CallbackInfo& info);
  // Batched sends from registered slabs (uring-object-send.cc)
  Napi::Value AddSendSlab(const Napi::CallbackInfo& info);
  Napi::Value SetSendTable(const Napi::CallbackInfo& info);

  static void CleanupHook(void* arg);
  void Teardown();
  // Cancels what is in flight and reaps until every request posted its final CQE (bounded).
  void DrainInFlight();
  // Records fd as ours (closed on teardown). False, with nothing recorded, when the table
  // cannot grow (no memory): the caller closes fd and reports ENOMEM. Never throws.
  bool Track(int fd) noexcept;
  void Untrack(int fd);
  bool Owned(int fd) const {
    return static_cast<size_t>(fd) < fds_.size() && fds_[static_cast<size_t>(fd)] != 0;
  }
  // For methods taking an fd: false (after throwing FdNotOwnedError) unless this ring owns it.
  bool CheckOwned(Napi::Env env, const char* sig, int fd);
  // ring_.GetSqe() that counts the request as in flight until its final CQE.
  io_uring_sqe* Sqe() {
    io_uring_sqe* sqe = ring_.GetSqe();
    if (sqe != nullptr) in_flight_++;
    return sqe;
  }
  // Accounts for one CQE (a request ends with its CQE without IORING_CQE_F_MORE).
  void Retire(const io_uring_cqe* cqe) {
    if ((cqe->flags & IORING_CQE_F_MORE) == 0 && in_flight_ > 0) in_flight_--;
  }
  unsigned Reap();
  void RecycleBuffers();
  // The length a send on `id` was asked for: a completion with exactly that may be held back.
  void ExpectSend(uint32_t id, uint32_t length);
  // Sets the registered eventfd, to come back to the pump on a later loop turn.
  void Notify();
  BufRing* Group(unsigned bgid);

  Napi::Env env_;
  Ring ring_;
  std::vector<std::unique_ptr<BufRing>> groups_;
  std::vector<Napi::Reference<Napi::ArrayBuffer>> group_memory_;
  std::vector<uint8_t> fds_;  // fds_[fd] = 1: a socket of ours, closed on teardown
  int eventfd_ = -1;          // the registered eventfd (ours, but not a socket JS may use)
  // Requests handed to the kernel (or queued for it) whose final CQE was not reaped yet.
  unsigned long long in_flight_ = 0;
  std::vector<uint16_t> recycle_;
  std::vector<uint16_t> recycle_group_;
  IdTable<uint16_t> recv_group_;     // the buffer group of id's recv
  IdTable<uint16_t> recvmsg_group_;  // the same for UDP recvmsg ids
  // Node-based: the msghdr of a multishot recvmsg stays put until the kernel copied it.
  std::map<uint32_t, msghdr> recvmsg_hdrs_;
  SendBatches send_batches_;
  struct SendSlab {
    uint8_t* data;
    size_t length;
  };
  std::vector<SendSlab> send_slabs_;
  std::vector<Napi::Reference<Napi::ArrayBuffer>> send_slab_refs_;
  Napi::Reference<Napi::Int32Array> send_table_ref_;
  const int32_t* send_table_ = nullptr;
  size_t send_table_records_ = 0;
  // Node-based: a timespec's address stays valid until the SQE naming it is submitted.
  std::map<uint32_t, __kernel_timespec> timespecs_;
  Napi::FunctionReference callback_;
  Napi::Reference<Napi::Int32Array> events_ref_;
  int32_t* events_ = nullptr;
  // `control` Int32Array shared with JS: [kControlUrgent] != 0 while JS waits for a send to
  // complete (data queued behind it, a drain, a close), so no completion is held back.
  // [kControlHeldBytes]: bytes of the sends held back (for byte counters).
  static constexpr unsigned kControlUrgent = 0;
  static constexpr unsigned kControlHeldBytes = 1;
  static constexpr unsigned kControlSize = 2;
  static constexpr int32_t kHoldMaxBytes = 65536;  // held bytes fit an int32 (1024 x 64 KiB)
  Napi::Reference<Napi::Int32Array> control_ref_;
  int32_t* control_ = nullptr;
  struct HeldSend {
    uint32_t id;
    int32_t res;
  };
  std::vector<HeldSend> held_sends_;
  IdTable<uint32_t> send_length_;  // bytes the send in flight on id asked for
  unsigned events_cap_ = 0;
  std::unique_ptr<Napi::AsyncContext> async_;
  BoundCell* send_queued_cell_ = nullptr;  // shared with the bound sendQueued function
  LoopHandles* handles_ = nullptr;
  bool hooked_ = false;
  bool in_pump_ = false;
  int last_submit_error_ = 0;
  unsigned long long batches_ = 0;
  unsigned long long completions_ = 0;
  unsigned long long submits_ = 0;
  unsigned long long cq_overflows_ = 0;  // pump rounds that found IORING_SQ_CQ_OVERFLOW set
};

}  // namespace uring
}  // namespace gatio

#endif  // GATIO_NATIVE_URING_URING_OBJECT_H_
