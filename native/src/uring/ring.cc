#include "ring.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace gatio {
namespace uring {

namespace {

int SysSetup(unsigned entries, io_uring_params* p) {
  long r = syscall(__NR_io_uring_setup, entries, p);
  return r < 0 ? -errno : static_cast<int>(r);
}

int SysEnter(int fd, unsigned to_submit, unsigned min_complete, unsigned flags) {
  long r = syscall(__NR_io_uring_enter, fd, to_submit, min_complete, flags, nullptr, 0);
  return r < 0 ? -errno : static_cast<int>(r);
}

// GATIO_TEST_SUBMIT_CAP=n (test only): pass at most n SQEs per io_uring_enter, to force the
// partial submits that EAGAIN and failed SQEs cause in production. Read once per ring, at setup.
unsigned TestSubmitCap() {
  const char* v = getenv("GATIO_TEST_SUBMIT_CAP");
  if (v == nullptr || *v == '\0') return ~0u;
  char* end = nullptr;
  unsigned long n = strtoul(v, &end, 10);
  return (*end != '\0' || n == 0 || n > ~0u) ? ~0u : static_cast<unsigned>(n);
}

}  // namespace

int Ring::Setup(unsigned entries) {
  io_uring_params p;
  memset(&p, 0, sizeof(p));
  // SINGLE_ISSUER + DEFER_TASKRUN: completions are only processed when this thread enters the
  // kernel, so they arrive in batches on the driver's own loop and never interrupt it.
  p.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_CQSIZE;
  p.cq_entries = entries * 4;
  int fd = SysSetup(entries, &p);
  if (fd < 0) return fd;
  fd_ = fd;
  sq_entries_ = p.sq_entries;
  cq_entries_ = p.cq_entries;

  sq_map_size_ = p.sq_off.array + p.sq_entries * sizeof(unsigned);
  cq_map_size_ = p.cq_off.cqes + p.cq_entries * sizeof(io_uring_cqe);
  if (p.features & IORING_FEAT_SINGLE_MMAP) {
    if (cq_map_size_ > sq_map_size_) sq_map_size_ = cq_map_size_;
    cq_map_size_ = sq_map_size_;
  }
  sq_map_ = mmap(nullptr, sq_map_size_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd,
                 IORING_OFF_SQ_RING);
  if (sq_map_ == MAP_FAILED) {
    int err = -errno;
    sq_map_ = nullptr;
    Close();
    return err;
  }
  if (p.features & IORING_FEAT_SINGLE_MMAP) {
    cq_map_ = sq_map_;
  } else {
    cq_map_ = mmap(nullptr, cq_map_size_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd,
                   IORING_OFF_CQ_RING);
    if (cq_map_ == MAP_FAILED) {
      int err = -errno;
      cq_map_ = nullptr;
      Close();
      return err;
    }
  }
  sqes_size_ = p.sq_entries * sizeof(io_uring_sqe);
  void* sqes = mmap(nullptr, sqes_size_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd,
                    IORING_OFF_SQES);
  if (sqes == MAP_FAILED) {
    int err = -errno;
    Close();
    return err;
  }
  sqes_ = static_cast<io_uring_sqe*>(sqes);
  char* sq = static_cast<char*>(sq_map_);
  sq_khead_ = reinterpret_cast<unsigned*>(sq + p.sq_off.head);
  sq_ktail_ = reinterpret_cast<unsigned*>(sq + p.sq_off.tail);
  sq_kflags_ = reinterpret_cast<unsigned*>(sq + p.sq_off.flags);
  sq_mask_ = *reinterpret_cast<unsigned*>(sq + p.sq_off.ring_mask);
  sq_array_ = reinterpret_cast<unsigned*>(sq + p.sq_off.array);
  // The index array maps slot i to SQE i once and for all; we then only move the tail.
  for (unsigned i = 0; i < p.sq_entries; i++) sq_array_[i] = i;
  char* cq = static_cast<char*>(cq_map_);
  cq_khead_ = reinterpret_cast<unsigned*>(cq + p.cq_off.head);
  cq_ktail_ = reinterpret_cast<unsigned*>(cq + p.cq_off.tail);
  cq_kflags_ = reinterpret_cast<unsigned*>(cq + p.cq_off.flags);
  cq_mask_ = *reinterpret_cast<unsigned*>(cq + p.cq_off.ring_mask);
  cqes_ = reinterpret_cast<io_uring_cqe*>(cq + p.cq_off.cqes);
  sqe_head_ = sqe_tail_ = *sq_ktail_;
  submit_cap_ = TestSubmitCap();
  return 0;
}

void Ring::Close() {
  if (sqes_ != nullptr) munmap(sqes_, sqes_size_);
  if (cq_map_ != nullptr && cq_map_ != sq_map_) munmap(cq_map_, cq_map_size_);
  if (sq_map_ != nullptr) munmap(sq_map_, sq_map_size_);
  sqes_ = nullptr;
  cq_map_ = sq_map_ = nullptr;
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
}

io_uring_sqe* Ring::GetSqe() {
  if (fd_ < 0) return nullptr;
  // Acquire: the kernel advances head once it has consumed SQEs; we may reuse those slots.
  unsigned head = __atomic_load_n(sq_khead_, __ATOMIC_ACQUIRE);
  if (sqe_tail_ - head >= sq_entries_) {
    if (Submit() < 0) return nullptr;
    head = __atomic_load_n(sq_khead_, __ATOMIC_ACQUIRE);
    if (sqe_tail_ - head >= sq_entries_) return nullptr;
  }
  io_uring_sqe* sqe = &sqes_[sqe_tail_ & sq_mask_];
  memset(sqe, 0, sizeof(*sqe));
  sqe_tail_++;
  return sqe;
}

int Ring::Submit() {
  if (fd_ < 0) return -EBADF;
  if (sqe_tail_ != sqe_head_) {
    // Release: the SQE contents must be visible before the kernel sees the new tail.
    __atomic_store_n(sq_ktail_, sqe_tail_, __ATOMIC_RELEASE);
    sqe_head_ = sqe_tail_;
  }
  // to_submit: everything from the kernel's SQ head to our tail, not only the SQEs queued since
  // the last call. The kernel takes at most to_submit SQEs from its head; SQEs an earlier enter
  // left there (partial submit, EBUSY, EAGAIN) would otherwise never be passed again.
  unsigned to_submit = pending();
  if (to_submit > submit_cap_) to_submit = submit_cap_;
  int r;
  do {
    r = SysEnter(fd_, to_submit, 0, IORING_ENTER_GETEVENTS);
  } while (r == -EINTR);
  // EBUSY/EAGAIN: the CQ overflowed or memory is short; the SQEs stay in the SQ (the tail is
  // published), pending() still counts them, and the next Submit passes them again, after the
  // caller has reaped.
  if (r == -EBUSY || r == -EAGAIN) return 0;
  return r;
}

io_uring_cqe* Ring::Peek() {
  if (fd_ < 0) return nullptr;
  unsigned head = *cq_khead_;
  // Acquire: CQE contents are written before the kernel publishes the tail.
  unsigned tail = __atomic_load_n(cq_ktail_, __ATOMIC_ACQUIRE);
  if (head == tail) return nullptr;
  return &cqes_[head & cq_mask_];
}

bool Ring::cq_ready() const {
  if (fd_ < 0) return false;
  return *cq_khead_ != __atomic_load_n(cq_ktail_, __ATOMIC_ACQUIRE);
}

void Ring::Advance(unsigned n) {
  // Release: we are done reading those CQEs before the kernel may overwrite them.
  __atomic_store_n(cq_khead_, *cq_khead_ + n, __ATOMIC_RELEASE);
}

int Ring::Register(unsigned opcode, void* arg, unsigned nr_args) {
  long r = syscall(__NR_io_uring_register, fd_, opcode, arg, nr_args);
  return r < 0 ? -errno : static_cast<int>(r);
}

void Ring::SetEventfdEnabled(bool on) {
  if (fd_ < 0) return;
  unsigned flags = __atomic_load_n(cq_kflags_, __ATOMIC_RELAXED);
  flags = on ? (flags & ~IORING_CQ_EVENTFD_DISABLED) : (flags | IORING_CQ_EVENTFD_DISABLED);
  // Sequentially consistent, and a full fence after it: completions the kernel adds from now on
  // either see the eventfd enabled and signal it, or are in the list our next enter runs.
  __atomic_store_n(cq_kflags_, flags, __ATOMIC_SEQ_CST);
  __atomic_thread_fence(__ATOMIC_SEQ_CST);
}

bool Ring::cq_overflowed() const {
  // Relaxed is enough: a stale read only delays noticing by one enter.
  return fd_ >= 0 && (__atomic_load_n(sq_kflags_, __ATOMIC_RELAXED) & IORING_SQ_CQ_OVERFLOW) != 0;
}

}  // namespace uring
}  // namespace gatio
