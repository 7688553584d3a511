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
// Teardown: destroy() (or the env cleanup hook when the worker exits) closes the ring, then every
// fd this ring created or accepted and has not closed.
#ifndef GATIO_NATIVE_URING_URING_OBJECT_H_
#define GATIO_NATIVE_URING_URING_OBJECT_H_

#include <napi.h>
#include <uv.h>

#include <map>
#include <memory>
#include <vector>

#include "buf-ring.h"
#include "ring.h"
#include "send-batch.h"

namespace gatio {
namespace uring {

struct LoopHandles;

class UringObject : public Napi::ObjectWrap<UringObject> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit UringObject(const Napi::CallbackInfo& info);
  ~UringObject() override;

  // Called from the uv handles.
  void Pump(bool readable);
  bool CallBatch(unsigned n);
  Napi::Value Opened(Napi::Env env, int fd, const char* stage);

 private:
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
  Napi::Value SendQueued(const Napi::CallbackInfo& info);

  static void CleanupHook(void* arg);
  void Teardown();
  void Track(int fd);
  void Untrack(int fd);
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
  std::vector<uint8_t> fds_;  // fds_[fd] = 1: ours to close on teardown
  std::vector<uint16_t> recycle_;
  std::vector<uint16_t> recycle_group_;
  std::vector<uint16_t> recv_group_;     // recv_group_[id]: the buffer group of id's recv
  std::vector<uint16_t> recvmsg_group_;  // the same for UDP recvmsg ids
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
  std::vector<uint32_t> send_length_;  // send_length_[id]: bytes the send in flight asked for
  unsigned events_cap_ = 0;
  std::unique_ptr<Napi::AsyncContext> async_;
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
