// A thin io_uring over the kernel UAPI header (no liburing): setup, the mmap'd SQ and CQ rings,
// io_uring_enter and io_uring_register. Owned by one thread (the ring is created with
// SINGLE_ISSUER | DEFER_TASKRUN, so only its creator may submit or reap; another thread gets
// EEXIST from the kernel). Every function returns 0 / a count, or -errno.
#ifndef GATIO_NATIVE_URING_RING_H_
#define GATIO_NATIVE_URING_RING_H_

#include <linux/io_uring.h>
#include <stddef.h>
#include <stdint.h>

namespace gatio {
namespace uring {

class Ring {
 public:
  Ring() = default;
  ~Ring() { Close(); }
  Ring(const Ring&) = delete;
  Ring& operator=(const Ring&) = delete;

  // entries: SQ size (power of two); the CQ gets 4x so bursts of multishot completions fit.
  int Setup(unsigned entries);
  void Close();
  bool open() const { return fd_ >= 0; }
  int fd() const { return fd_; }
  unsigned sq_entries() const { return sq_entries_; }
  unsigned cq_entries() const { return cq_entries_; }

  // A zeroed SQE, or nullptr when the SQ is full even after submitting what is queued.
  io_uring_sqe* GetSqe();
  // SQEs the kernel has not consumed yet: those written since the last Submit and those an
  // earlier enter left in the SQ (a partial submit, EBUSY, EAGAIN). Non-zero means Submit has
  // work; the kernel advances its SQ head only inside our own io_uring_enter (no SQPOLL).
  unsigned pending() const {
    if (fd_ < 0) return 0;
    // Acquire: pairs with the kernel's release of the SQ head it advanced while consuming.
    return sqe_tail_ - __atomic_load_n(sq_khead_, __ATOMIC_ACQUIRE);
  }
  // Publishes the queued SQEs and calls io_uring_enter(GETEVENTS) with every SQE the kernel has
  // not consumed, which also runs the deferred task work that DEFER_TASKRUN parks until its
  // owner asks. Returns the number the kernel consumed (fewer than pending() on a partial
  // submit: the rest stay in the SQ and go with the next Submit), 0 on EBUSY/EAGAIN, or -errno.
  // The same count, under the name teardown uses: what it must still reap before closing.
  unsigned unconsumed() const { return pending(); }
  int Submit();

  // CQ access: Peek returns the next CQE or nullptr; Advance consumes n.
  io_uring_cqe* Peek();
  void Advance(unsigned n);
  bool cq_ready() const;
  // The kernel holds completions that did not fit the CQ (IORING_SQ_CQ_OVERFLOW); entering with
  // GETEVENTS after reaping moves them in.
  bool cq_overflowed() const;
  // IORING_CQ_EVENTFD_DISABLED: while off, completions do not signal the registered eventfd.
  void SetEventfdEnabled(bool on);

  int Register(unsigned opcode, void* arg, unsigned nr_args);

 private:
  int fd_ = -1;
  unsigned sq_entries_ = 0;
  unsigned cq_entries_ = 0;
  // SQ ring
  void* sq_map_ = nullptr;
  size_t sq_map_size_ = 0;
  unsigned* sq_khead_ = nullptr;
  unsigned* sq_ktail_ = nullptr;
  unsigned* sq_kflags_ = nullptr;
  unsigned sq_mask_ = 0;
  unsigned* sq_array_ = nullptr;
  io_uring_sqe* sqes_ = nullptr;
  size_t sqes_size_ = 0;
  unsigned sqe_head_ = 0;  // first SQE not yet published to the kernel
  unsigned sqe_tail_ = 0;  // next SQE to hand out
  // Test only: the most SQEs one io_uring_enter may pass, from GATIO_TEST_SUBMIT_CAP when the
  // ring is set up (unset: no cap). Lets tests force partial submits (test/native-submit.test.ts).
  unsigned submit_cap_ = ~0u;
  // CQ ring (shares sq_map_ with IORING_FEAT_SINGLE_MMAP)
  void* cq_map_ = nullptr;
  size_t cq_map_size_ = 0;
  unsigned* cq_khead_ = nullptr;
  unsigned* cq_ktail_ = nullptr;
  unsigned* cq_kflags_ = nullptr;
  unsigned cq_mask_ = 0;
  io_uring_cqe* cqes_ = nullptr;
};

}  // namespace uring
}  // namespace gatio

#endif  // GATIO_NATIVE_URING_RING_H_
