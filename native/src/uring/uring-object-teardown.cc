// Teardown of a `Uring` (see uring-object.h) and the bookkeeping of the fds it owns.
//
// Order, whoever calls it (destroy(), the object being collected, the env cleanup hook when the
// worker thread exits or is terminated):
//   1. stop watching the eventfd (the uv handles close on a later loop turn, apart from us);
//   2. submit what is queued, cancel every request in flight (one IORING_ASYNC_CANCEL_ANY) and
//      reap until each posted its final CQE: until then the kernel may still write a received
//      chunk into a provided buffer, read a send's bytes, or hold a socket open, and all of that
//      memory is JavaScript's, freed once the object or the worker is gone. Bounded: it gives up
//      after 1 s without a completion or 2 s in all, for a request that does not end when
//      cancelled (none of ours, but the kernel decides);
//   3. unregister the provided buffer rings, close the ring;
//   4. close every socket this ring opened or accepted and JS has not closed, then the eventfd.
#include <errno.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>

#include "ops.h"
#include "uring-object.h"

namespace gatio {
namespace uring {

namespace {

constexpr int kMaxIdleWaits = 50;
constexpr long long kDrainWaitNs = 20LL * 1000 * 1000;       // 20 ms a wait: 1 s without progress
constexpr long long kDrainMaxNs = 2LL * 1000 * 1000 * 1000;  // and 2 s in all

long long NowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

// io_uring_enter(to_submit, GETEVENTS with min_complete); with timeout_ns > 0, waits at most that
// long (IORING_ENTER_EXT_ARG, Linux 5.11). Entering also runs the deferred task work, which is
// how DEFER_TASKRUN completions reach the CQ. Returns SQEs consumed or -errno (-ETIME).
int Enter(int ring_fd, unsigned to_submit, unsigned min_complete, long long timeout_ns) {
  __kernel_timespec ts;
  ts.tv_sec = timeout_ns / 1000000000LL;
  ts.tv_nsec = timeout_ns % 1000000000LL;
  io_uring_getevents_arg arg = {};
  arg.ts = reinterpret_cast<uint64_t>(&ts);
  unsigned flags = IORING_ENTER_GETEVENTS;
  long r;
  if (timeout_ns > 0) {
    r = syscall(__NR_io_uring_enter, ring_fd, to_submit, min_complete, flags | IORING_ENTER_EXT_ARG,
                &arg, sizeof(arg));
  } else {
    r = syscall(__NR_io_uring_enter, ring_fd, to_submit, min_complete, flags, nullptr, 0);
  }
  return r < 0 ? -errno : static_cast<int>(r);
}

}  // namespace

UringObject::~UringObject() {
  Teardown();
  if (send_queued_cell_ != nullptr) {
    send_queued_cell_->owner = nullptr;
    ReleaseCell(send_queued_cell_);
    send_queued_cell_ = nullptr;
  }
}

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
    uv_close(reinterpret_cast<uv_handle_t*>(&handles_->poll), OnHandleClosed);
    uv_close(reinterpret_cast<uv_handle_t*>(&handles_->prepare), OnHandleClosed);
    handles_ = nullptr;
  }
  DrainInFlight();
  for (auto& g : groups_) {
    if (g) g->Unregister();
  }
  ring_.Close();
  groups_.clear();
  for (size_t fd = 0; fd < fds_.size(); fd++) {
    if (fds_[fd]) close(static_cast<int>(fd));
  }
  fds_.clear();
  if (eventfd_ >= 0) {
    close(eventfd_);
    eventfd_ = -1;
  }
  in_flight_ = 0;
}

void UringObject::DrainInFlight() {
  if (!ring_.open() || in_flight_ == 0) return;
  const long long deadline = NowNs() + kDrainMaxNs;
  // First everything queued reaches the kernel (a close JS asked for must still happen: that fd
  // is no longer in fds_). The kernel stops a submission at an SQE that fails its preparation,
  // so enter until none is left; each enter consumes at least that one.
  ring_.Submit();
  for (unsigned left = ring_.unconsumed(); left > 0 && NowNs() < deadline;) {
    if (Enter(ring_.fd(), left, 0, 0) <= 0) break;
    left = ring_.unconsumed();
  }
  bool cancel_queued = false;
  int idle_waits = 0;
  // Runs while completions keep coming (thousands of cancelled requests pass through the CQ a
  // few hundred at a time); gives up after kMaxIdleWaits waits in a row brought nothing, or at
  // the deadline (a request that keeps completing without ending).
  while (idle_waits < kMaxIdleWaits && NowNs() < deadline) {
    if (!cancel_queued && ring_.unconsumed() == 0) {
      io_uring_sqe* sqe = Sqe();
      if (sqe != nullptr) {
        PrepCancelAll(sqe, 0);
        cancel_queued = true;
        ring_.Submit();
      }
    }
    io_uring_cqe* cqe;
    while ((cqe = ring_.Peek()) != nullptr) {
      // A connection accepted just before the cancel is ours to close like the others.
      if (UserDataOp(cqe->user_data) == kOpAccept && cqe->res >= 0 && !Track(cqe->res)) {
        close(cqe->res);
      }
      Retire(cqe);
      ring_.Advance(1);
      idle_waits = 0;
    }
    if (in_flight_ == 0) return;
    // Also moves completions that overflowed the CQ back into it.
    int r = Enter(ring_.fd(), 0, 1, kDrainWaitNs);
    if (r == -ETIME) {
      idle_waits++;
    } else if (r < 0 && r != -EINTR && r != -EBUSY && r != -EAGAIN) {
      return;
    }
  }
}

bool UringObject::Track(int fd) noexcept {
  if (fd < 0) return false;
  size_t i = static_cast<size_t>(fd);
  if (i >= fds_.size()) {
    try {
      fds_.resize(std::max(i + 1, fds_.size() * 2), 0);
    } catch (...) {
      return false;
    }
  }
  fds_[i] = 1;
  return true;
}

void UringObject::Untrack(int fd) {
  if (Owned(fd)) fds_[static_cast<size_t>(fd)] = 0;
}

bool UringObject::CheckOwned(Napi::Env env, const char* sig, int fd) {
  if (Owned(fd)) return true;
  ThrowFdNotOwned(env, sig, fd);
  return false;
}

}  // namespace uring
}  // namespace gatio
