// CPU affinity of the calling OS thread. sched_setaffinity/sched_getaffinity with pid 0 act on the
// calling thread only (not the whole process), which is what a driver worker wants: each worker
// pins its own thread from inside itself.
#ifndef GATIO_NATIVE_AFFINITY_H_
#define GATIO_NATIVE_AFFINITY_H_

#include <napi.h>
#include <sys/types.h>

#include <vector>

namespace gatio {

// Upper bound on CPU ids handled (the mask is sized for it; the kernel accepts larger masks).
constexpr int kMaxCpus = 8192;

// Reads the affinity mask of thread `tid` (0 = calling thread). Returns 0 or -errno.
int GetAffinity(pid_t tid, std::vector<int>* cpus);

// Pins the calling thread to `cpus` (each in [0, kMaxCpus)). Returns 0 or -errno.
int PinCallingThread(const std::vector<int>& cpus);

Napi::Value PinThreadJs(const Napi::CallbackInfo& info);
Napi::Value ThreadAffinityJs(const Napi::CallbackInfo& info);
Napi::Value ThreadIdJs(const Napi::CallbackInfo& info);
Napi::Value YieldThreadJs(const Napi::CallbackInfo& info);
// The process's set: the main thread's mask (tid == pid), unaffected by pinned workers.
Napi::Value ProcessAffinityJs(const Napi::CallbackInfo& info);

}  // namespace gatio

#endif  // GATIO_NATIVE_AFFINITY_H_
