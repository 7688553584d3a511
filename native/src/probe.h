// A real io_uring probe: io_uring_setup through syscall(2) against the kernel UAPI header (no
// liburing), then IORING_REGISTER_PROBE for opcodes and a provided-buffer-ring registration.
// Everything it opens is closed before it returns. It reports raw facts; the TypeScript side turns
// a failure into an actionable reason.
#ifndef GATIO_NATIVE_PROBE_H_
#define GATIO_NATIVE_PROBE_H_

#include <napi.h>

#include <string>
#include <vector>

namespace gatio {

struct ProbeResult {
  int setup_errno = 0;  // 0 when a plain io_uring_setup worked, else the positive errno
  std::string kernel;   // uname release
  unsigned features = 0;
  std::vector<std::string> feature_names;
  std::vector<std::string> opcodes;  // supported opcodes, by name
  int probe_errno = 0;               // IORING_REGISTER_PROBE failure, if any
  bool single_issuer_defer_taskrun = false;
  bool provided_buffer_rings = false;
  int io_uring_disabled = -1;  // /proc/sys/kernel/io_uring_disabled, -1 when absent
  double memlock_cur = -1;     // RLIMIT_MEMLOCK in bytes, -1 = unlimited
  double memlock_max = -1;
};

// Runs the probe. Never fails as a whole: setup failures land in setup_errno.
void RunProbe(ProbeResult* out);

Napi::Value IoUringProbeJs(const Napi::CallbackInfo& info);

}  // namespace gatio

#endif  // GATIO_NATIVE_PROBE_H_
