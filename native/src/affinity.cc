#include "affinity.h"

#include <errno.h>
#include <sched.h>
#include <unistd.h>

#include "errors.h"
#include "js-convert.h"

namespace gatio {

namespace {

// A heap-allocated cpu_set_t sized for kMaxCpus, freed on scope exit.
class CpuMask {
 public:
  CpuMask() : set_(CPU_ALLOC(kMaxCpus)), size_(CPU_ALLOC_SIZE(kMaxCpus)) {
    if (set_ != nullptr) CPU_ZERO_S(size_, set_);
  }
  ~CpuMask() {
    if (set_ != nullptr) CPU_FREE(set_);
  }
  CpuMask(const CpuMask&) = delete;
  CpuMask& operator=(const CpuMask&) = delete;

  cpu_set_t* get() const { return set_; }
  size_t size() const { return size_; }

 private:
  cpu_set_t* set_;
  size_t size_;
};

}  // namespace

int GetAffinity(pid_t tid, std::vector<int>* cpus) {
  CpuMask mask;
  if (mask.get() == nullptr) return -ENOMEM;
  if (sched_getaffinity(tid, mask.size(), mask.get()) != 0) return -errno;
  cpus->clear();
  for (int cpu = 0; cpu < kMaxCpus; cpu++) {
    if (CPU_ISSET_S(cpu, mask.size(), mask.get())) cpus->push_back(cpu);
  }
  return 0;
}

int PinCallingThread(const std::vector<int>& cpus) {
  CpuMask mask;
  if (mask.get() == nullptr) return -ENOMEM;
  for (int cpu : cpus) {
    if (cpu < 0 || cpu >= kMaxCpus) return -EINVAL;
    CPU_SET_S(cpu, mask.size(), mask.get());
  }
  if (sched_setaffinity(0, mask.size(), mask.get()) != 0) return -errno;
  return 0;
}

Napi::Value PinThreadJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::vector<int> cpus;
  const std::string what =
      "pinThread(cpus): cpus must be a non-empty array of integer CPU ids from 0 to " +
      std::to_string(kMaxCpus - 1);
  if (info.Length() != 1 || !info[0].IsArray()) {
    ThrowArgType(env, what);
    return env.Undefined();
  }
  if (!ToIntVector(info[0], 0, kMaxCpus - 1, kMaxCpus, &cpus) || cpus.empty()) {
    ThrowArgRange(env, what);
    return env.Undefined();
  }
  int rc = PinCallingThread(cpus);
  if (rc < 0) ThrowErrno(env, rc, "sched_setaffinity");
  return env.Undefined();
}

namespace {

Napi::Value AffinityOf(Napi::Env env, pid_t tid) {
  std::vector<int> cpus;
  int rc = GetAffinity(tid, &cpus);
  if (rc < 0) {
    ThrowErrno(env, rc, "sched_getaffinity");
    return env.Undefined();
  }
  return FromIntVector(env, cpus);
}

}  // namespace

Napi::Value ThreadAffinityJs(const Napi::CallbackInfo& info) { return AffinityOf(info.Env(), 0); }

Napi::Value ProcessAffinityJs(const Napi::CallbackInfo& info) {
  return AffinityOf(info.Env(), getpid());
}

Napi::Value ThreadIdJs(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(gettid()));
}

// sched_yield(2): an idle thread that keeps polling lets another runnable thread on its core go
// first (on a small machine the main thread shares cores with pinned drivers).
Napi::Value YieldThreadJs(const Napi::CallbackInfo& info) {
  sched_yield();
  return info.Env().Undefined();
}

}  // namespace gatio
